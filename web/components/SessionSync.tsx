"use client";

import { useRouter } from "next/navigation";
import { useEffect, useRef } from "react";

import { useSession } from "@/lib/hooks/useSession";

/**
 * A page rendered on the server for one user (or for anyone) while the browser holds another
 * session (a magic link's session just taken from the URL, a sign-in or sign-out in another
 * tab, a token refreshed after the server saw it expired) asks the server for the page again,
 * once per change, so what is shown is what this browser's user may see.
 */
export function SessionSync({ serverUserId }: { serverUserId: string | null }) {
  const session = useSession();
  const router = useRouter();
  const asked = useRef<string | null>(null);
  const browserUserId = session.status === "signed-in" ? session.session.user.id : null;
  useEffect(() => {
    if (session.status === "loading" || browserUserId === serverUserId) return;
    const key = `${serverUserId} ${browserUserId}`;
    if (asked.current === key) return;
    asked.current = key;
    router.refresh();
  }, [session.status, browserUserId, serverUserId, router]);
  return null;
}
