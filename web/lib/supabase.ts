"use client";

import { createBrowserClient } from "@supabase/ssr";
import type { Session, SupabaseClient } from "@supabase/supabase-js";
import { useEffect, useState } from "react";

import { useRuntimeConfig } from "@/components/RuntimeConfig";

let cached: { key: string; client: SupabaseClient; ready: Promise<void> } | null = null;

/**
 * One supabase-js client per project, created in the browser only, keeping the session in
 * cookies as `@supabase/ssr` does (so the server renders pages as the signed-in user; see
 * lib/viewer.ts). `@supabase/ssr` reads only PKCE redirects from the URL, so a magic link's
 * `#access_token=...&refresh_token=...` (the implicit flow) is taken here, with `setSession`.
 */
export function supabaseClient(url: string, anonKey: string): SupabaseClient {
  return cachedClient(url, anonKey).client;
}

function cachedClient(url: string, anonKey: string) {
  const key = `${url} ${anonKey}`;
  if (cached?.key !== key) {
    const fragment = new URLSearchParams(window.location.hash.slice(1));
    const client = createBrowserClient(url, anonKey, {
      // A PKCE redirect (`?code=`) is read by supabase-js; an implicit one below.
      auth: { autoRefreshToken: true, detectSessionInUrl: !fragment.has("access_token") },
      isSingleton: false,
    });
    cached = { key, client, ready: sessionFromFragment(client, fragment) };
  }
  return cached;
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

export function useSupabase(): () => SupabaseClient {
  const { supabaseUrl, supabaseAnonKey } = useRuntimeConfig();
  return () => supabaseClient(supabaseUrl, supabaseAnonKey);
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
 */
export function useSession(): SessionState {
  const { supabaseUrl, supabaseAnonKey } = useRuntimeConfig();
  const [state, setState] = useState<SessionState>({ status: "loading" });
  useEffect(() => {
    const { client: supabase, ready } = cachedClient(supabaseUrl, supabaseAnonKey);
    let active = true;
    void ready
      .then(() => supabase.auth.getSession())
      .then(({ data }) => {
        if (active) setState(stateOf(data.session));
      });
    const { data } = supabase.auth.onAuthStateChange((_event, session) => {
      if (active) setState(stateOf(session));
    });
    return () => {
      active = false;
      data.subscription.unsubscribe();
    };
  }, [supabaseUrl, supabaseAnonKey]);
  return state;
}

export function accessTokenOf(state: SessionState): string | null {
  return state.status === "signed-in" ? state.session.access_token : null;
}
