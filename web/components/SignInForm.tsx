"use client";

import { useRouter, useSearchParams } from "next/navigation";
import { useState, type FormEvent } from "react";

import { useRuntimeConfig } from "@/components/RuntimeConfig";
import { safeNext } from "@/lib/safeNext";
import { supabaseClient } from "@/lib/supabase";

/** Email and password sign-in with supabase-js, as on a hosted Supabase project. */
export function SignInForm() {
  const { supabaseUrl, supabaseAnonKey } = useRuntimeConfig();
  const router = useRouter();
  const requested = useSearchParams().get("next");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    setError(null);
    try {
      const { error: failure } = await supabaseClient(
        supabaseUrl,
        supabaseAnonKey,
      ).auth.signInWithPassword({
        email: String(form.get("email") ?? ""),
        password: String(form.get("password") ?? ""),
      });
      if (failure) {
        setError(failure.message || "Sign-in failed.");
        return;
      }
      // Decided here, in the browser, against the page's own origin.
      router.push(safeNext(requested, window.location.origin));
    } catch {
      setError("Supabase cannot be reached. Check your connection and try again.");
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="panel sign-in" onSubmit={submit}>
      <h1>Sign in</h1>
      <label>
        Email
        <input name="email" type="email" autoComplete="email" required />
      </label>
      <label>
        Password
        <input name="password" type="password" autoComplete="current-password" required />
      </label>
      {error && (
        <p className="notice notice-error" role="alert" data-testid="sign-in-error">
          {error}
        </p>
      )}
      <button type="submit" className="button" disabled={busy}>
        {busy ? "Signing in…" : "Sign in"}
      </button>
    </form>
  );
}
