"use client";

import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { useState, type FormEvent } from "react";

import { LiveRegion } from "@/components/LiveRegion";
import { PageTitle } from "@/components/PageTitle";
import { useAnnounce } from "@/lib/hooks/useAnnounce";
import { useRuntimeConfig } from "@/lib/hooks/useRuntimeConfig";
import { safeNext } from "@/lib/safeNext";
import { supabaseClient } from "@/lib/supabase";

const MIN_PASSWORD = 6; // GoTrue's default; a project may ask for more, and says so

function submitLabel(signingUp: boolean, busy: boolean): string {
  if (signingUp) return busy ? "Creating your account…" : "Create account";
  return busy ? "Signing in…" : "Sign in";
}

/**
 * Email and password sign-in (`signInWithPassword`) and sign-up (`signUp`) with supabase-js,
 * as on a hosted Supabase project. With email confirmation off the new account is signed in
 * at once; with it on, the page says to check the inbox.
 */
export function SignInForm() {
  const params = useSearchParams();
  const requested = params.get("next");
  const signingUp = params.get("mode") === "sign-up";
  // A form per mode: switching starts afresh (no error from the other one).
  return (
    <AccountForm key={signingUp ? "up" : "in"} requested={requested} signingUp={signingUp} />
  );
}

function AccountForm({ requested, signingUp }: { requested: string | null; signingUp: boolean }) {
  const { supabaseUrl, supabaseAnonKey } = useRuntimeConfig();
  const router = useRouter();
  const announce = useAnnounce();
  const [error, setError] = useState<string | null>(null);
  const [info, setInfo] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // The other mode keeps `next` as it came; where to go is decided only after signing in.
  const nextQuery = requested ? `next=${encodeURIComponent(requested)}` : "";
  const otherMode = signingUp
    ? `/sign-in${nextQuery ? `?${nextQuery}` : ""}`
    : `/sign-in?mode=sign-up${nextQuery ? `&${nextQuery}` : ""}`;

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const credentials = {
      email: String(form.get("email") ?? "").trim(),
      password: String(form.get("password") ?? ""),
    };
    setBusy(true);
    setError(null);
    setInfo(null);
    // Decided here, in the browser, against the page's own origin.
    const next = safeNext(requested, window.location.origin);
    const nextPath = new URL(next, window.location.origin).pathname; // where the news is said
    try {
      const auth = (await supabaseClient(supabaseUrl, supabaseAnonKey)).auth;
      if (signingUp) {
        const { data, error: failure } = await auth.signUp(credentials);
        if (failure) {
          setError(failure.message || "The account could not be created.");
          return;
        }
        if (!data.session) {
          setInfo(`Check ${credentials.email} for a link to confirm your account, then sign in.`);
          return;
        }
        announce(`Welcome! Your account ${credentials.email} is ready.`, { path: nextPath });
      } else {
        const { error: failure } = await auth.signInWithPassword(credentials);
        if (failure) {
          setError(failure.message || "Sign-in failed.");
          return;
        }
        announce(`Signed in as ${credentials.email}.`, { path: nextPath });
      }
      router.push(next);
    } catch {
      setError("Supabase cannot be reached. Check your connection and try again.");
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="panel sign-in" onSubmit={submit}>
      <PageTitle title={signingUp ? "Create an account" : "Sign in"} />
      <h1>{signingUp ? "Create an account" : "Sign in"}</h1>
      <div className="field">
        <label htmlFor="sign-in-email">Email</label>
        <input
          id="sign-in-email"
          name="email"
          type="email"
          autoComplete="email"
          required
        />
      </div>
      <div className="field">
        <label htmlFor="sign-in-password">Password</label>
        <input
          id="sign-in-password"
          name="password"
          type="password"
          autoComplete={signingUp ? "new-password" : "current-password"}
          aria-describedby={signingUp ? "sign-in-password-hint" : undefined}
          required
        />
        {signingUp && (
          <p id="sign-in-password-hint" className="hint">
            At least {MIN_PASSWORD} characters.
          </p>
        )}
      </div>
      <LiveRegion urgent>
        {error && (
          <p className="notice notice-error" data-testid="sign-in-error">
            {error}
          </p>
        )}
      </LiveRegion>
      <LiveRegion>{info && <p className="notice notice-info">{info}</p>}</LiveRegion>
      <div className="form-actions">
        <button type="submit" className="button" disabled={busy}>
          {submitLabel(signingUp, busy)}
        </button>
      </div>
      <p className="muted">
        {signingUp ? "Already have an account? " : "New here? "}
        <Link href={otherMode}>{signingUp ? "Sign in instead" : "Create an account"}</Link>
      </p>
    </form>
  );
}
