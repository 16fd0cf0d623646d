"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";

import { useRuntimeConfig } from "@/components/RuntimeConfig";
import { supabaseClient, useSession } from "@/lib/supabase";

export function Header() {
  const { supabaseUrl, supabaseAnonKey } = useRuntimeConfig();
  const session = useSession();
  const router = useRouter();
  return (
    <header className="site-header">
      <Link href="/" className="brand">
        Lessons
      </Link>
      <span className="account" data-testid="account">
        {session.status === "signed-in" && (
          <>
            <span className="muted">{session.session.user.email ?? "signed in"}</span>{" "}
            <button
              type="button"
              className="link"
              onClick={async () => {
                await supabaseClient(supabaseUrl, supabaseAnonKey).auth.signOut();
                router.push("/sign-in");
              }}
            >
              Sign out
            </button>
          </>
        )}
        {session.status === "signed-out" && <Link href="/sign-in">Sign in</Link>}
      </span>
    </header>
  );
}
