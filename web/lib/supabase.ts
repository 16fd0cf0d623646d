"use client";

import type { Session, SupabaseClient } from "@supabase/supabase-js";

interface Loaded {
  key: string;
  client: Promise<SupabaseClient>;
  /** Settled once a magic link's session (if any) has been taken from the URL. */
  ready: Promise<void>;
}

let cached: Loaded | null = null;

/** Whether the client for this project exists already (a sign-in on this page made it). */
export function clientExists(url: string, anonKey: string): boolean {
  return cached?.key === `${url} ${anonKey}`;
}

/** `useSession` hooks waiting for a client to exist (a visitor who then signs in). */
export const waiting = new Set<() => void>();

/**
 * One supabase-js client per project, created in the browser only, keeping the session in
 * cookies as `@supabase/ssr` does (so the server renders pages as the signed-in user; see
 * lib/viewer.ts). Its code (about 60 KiB compressed) is loaded only when it is needed: a
 * session cookie or a sign-in link in the URL, or a sign-in, sign-up or sign-out; a visitor
 * who never signs in never downloads it. `@supabase/ssr` reads only PKCE redirects from the
 * URL, so a magic link's `#access_token=...&refresh_token=...` (the implicit flow) is taken
 * here, with `setSession`.
 */
export function supabaseClient(url: string, anonKey: string): Promise<SupabaseClient> {
  return load(url, anonKey).client;
}

/** The client for this project, created (and its code loaded) on first use. */
export function load(url: string, anonKey: string): Loaded {
  const key = `${url} ${anonKey}`;
  if (cached?.key !== key) {
    const fragment = new URLSearchParams(window.location.hash.slice(1));
    const client = import("@supabase/ssr").then(({ createBrowserClient }) =>
      createBrowserClient(url, anonKey, {
        // A PKCE redirect (`?code=`) is read by supabase-js; an implicit one below.
        auth: { autoRefreshToken: true, detectSessionInUrl: !fragment.has("access_token") },
        isSingleton: false,
      }),
    );
    cached = { key, client, ready: client.then((c) => sessionFromFragment(c, fragment)) };
    for (const wake of [...waiting]) wake();
  }
  return cached;
}

/** Whether this browser may hold a session: Supabase's cookie, or a sign-in redirect. */
export function mayHaveSession(): boolean {
  return (
    document.cookie.split(";").some((c) => c.trim().startsWith("sb-")) ||
    new URLSearchParams(window.location.hash.slice(1)).has("access_token") ||
    new URLSearchParams(window.location.search).has("code")
  );
}

async function sessionFromFragment(
  client: SupabaseClient,
  fragment: URLSearchParams,
): Promise<void> {
  const access_token = fragment.get("access_token");
  const refresh_token = fragment.get("refresh_token");
  if (!access_token || !refresh_token) return;
  const { error } = await client.auth.setSession({ access_token, refresh_token });
  if (!error) {
    const { pathname, search } = window.location;
    window.history.replaceState(window.history.state, "", `${pathname}${search}`);
  }
}

export type SessionState =
  | { status: "loading" }
  | { status: "signed-out" }
  | { status: "signed-in"; session: Session };

export function stateOf(session: Session | null): SessionState {
  return session ? { status: "signed-in", session } : { status: "signed-out" };
}

export function accessTokenOf(state: SessionState): string | null {
  return state.status === "signed-in" ? state.session.access_token : null;
}
