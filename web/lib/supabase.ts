"use client";

import { createClient, type Session, type SupabaseClient } from "@supabase/supabase-js";
import { useEffect, useState } from "react";

import { useRuntimeConfig } from "@/components/RuntimeConfig";

let cached: { key: string; client: SupabaseClient } | null = null;

/** One supabase-js client per project, created in the browser only. */
export function supabaseClient(url: string, anonKey: string): SupabaseClient {
  const key = `${url} ${anonKey}`;
  if (cached?.key !== key) {
    cached = {
      key,
      client: createClient(url, anonKey, {
        auth: { persistSession: true, autoRefreshToken: true, detectSessionInUrl: true },
      }),
    };
  }
  return cached.client;
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
    const supabase = supabaseClient(supabaseUrl, supabaseAnonKey);
    let active = true;
    supabase.auth.getSession().then(({ data }) => {
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
