"use client";

import { useEffect, useState } from "react";

import { useRuntimeConfig } from "@/lib/hooks/useRuntimeConfig";
import {
  clientExists,
  load,
  mayHaveSession,
  stateOf,
  waiting,
  type SessionState,
} from "@/lib/supabase";

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
    if (clientExists(supabaseUrl, supabaseAnonKey) || mayHaveSession()) {
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
