"use client";

import type { Session, SupabaseClient } from "@supabase/supabase-js";
import { useEffect, useState } from "react";

import { useRuntimeConfig } from "@/components/RuntimeConfig";

interface Loaded {
  key: string;
  client: Promise<SupabaseClient>;
  /** Settled once a magic link's session (if any) has been taken from the URL. */
  ready: Promise<void>;
}

let cached: Loaded | null = null;
/** `useSession` hooks waiting for a client to exist (a visitor who then signs in). */
const waiting = new Set<() => void>();

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

function load(url: string, anonKey: string): Loaded {
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
function mayHaveSession(): boolean {
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

function stateOf(session: Session | null): SessionState {
  return session ? { status: "signed-in", session } : { status: "signed-out" };
}

/**
 * The signed-in user's session, as supabase-js keeps it: `getSession()` once, then every
 * `onAuthStateChange` (sign-in, sign-out, and each token refresh, which changes the token).
 * With no sign of a session it is "signed-out" at once, without loading supabase-js, and
 * follows the client from the moment one is made (a sign-in on this page).
 */
export function useSession(): SessionState {
  const { supabaseUrl, supabaseAnonKey } = useRuntimeConfig();
  const [state, setState] = useState<SessionState>({ status: "loading" });
  useEffect(() => {
    let active = true;
    let unsubscribe = () => {};
    const follow = () => {
      const { client, ready } = load(supabaseUrl, supabaseAnonKey);
      void Promise.all([client, ready])
        .then(([supabase]) => {
          if (!active) return null;
          const { data } = supabase.auth.onAuthStateChange((_event, session) => {
            if (active) setState(stateOf(session));
          });
          unsubscribe = () => data.subscription.unsubscribe();
          return supabase.auth.getSession();
        })
        .then((result) => {
          if (active && result) setState(stateOf(result.data.session));
        });
    };
    const wake = () => {
      waiting.delete(wake);
      follow();
    };
    if (cached?.key === `${supabaseUrl} ${supabaseAnonKey}` || mayHaveSession()) {
      follow();
    } else {
      waiting.add(wake);
      void Promise.resolve().then(() => {
        if (active && waiting.has(wake)) setState({ status: "signed-out" });
      });
    }
    return () => {
      active = false;
      waiting.delete(wake);
      unsubscribe();
    };
  }, [supabaseUrl, supabaseAnonKey]);
  return state;
}

export function accessTokenOf(state: SessionState): string | null {
  return state.status === "signed-in" ? state.session.access_token : null;
}
