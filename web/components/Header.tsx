"use client";

import dynamic from "next/dynamic";
import Link from "next/link";
import { usePathname, useRouter } from "next/navigation";

import { useAnnounce } from "@/lib/hooks/useAnnounce";
import { useRuntimeConfig } from "@/lib/hooks/useRuntimeConfig";
import { useSession } from "@/lib/hooks/useSession";
import { confirmLeave } from "@/lib/leaveWarnings";
import { supabaseClient } from "@/lib/supabase";

// Signed-in authors only: a visitor never downloads it.
const NotificationsMenu = dynamic(
  () => import("@/components/NotificationsMenu").then((m) => m.NotificationsMenu),
  { ssr: false },
);

export function Header() {
  const { supabaseUrl, supabaseAnonKey } = useRuntimeConfig();
  const session = useSession();
  const router = useRouter();
  const announce = useAnnounce();
  const pathname = usePathname();
  const signInHref =
    pathname === "/" || pathname === "/sign-in"
      ? "/sign-in"
      : `/sign-in?next=${encodeURIComponent(pathname)}`;
  return (
    <header className="site-header">
      <a href="#main" className="skip-link">
        Skip to the content
      </a>
      <Link href="/" className="brand">
        Lessons
      </Link>
      <nav className="account" aria-label="Account" data-testid="account">
        {session.status === "signed-in" && (
          <>
            <NotificationsMenu />
            <span className="account-email" title={session.session.user.email ?? undefined}>
              {session.session.user.email ?? "Signed in"}
            </span>
            <button
              type="button"
              className="button button-secondary button-small"
              onClick={async () => {
                if (!confirmLeave()) return;
                await (await supabaseClient(supabaseUrl, supabaseAnonKey)).auth.signOut();
                announce("You are signed out.", { path: "/" });
                router.push("/");
              }}
            >
              Sign out
            </button>
          </>
        )}
        {session.status === "signed-out" && (
          <>
            <Link href={signInHref}>Sign in</Link>
            <Link href="/sign-in?mode=sign-up" className="button button-small">
              Create an account
            </Link>
          </>
        )}
      </nav>
    </header>
  );
}
