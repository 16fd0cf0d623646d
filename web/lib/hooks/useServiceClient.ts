"use client";

import { useMemo } from "react";

import type { ServiceClient } from "@/lib/api/types";
import { useRuntimeConfig } from "@/lib/hooks/useRuntimeConfig";
import { useSession } from "@/lib/hooks/useSession";
import { accessTokenOf, type SessionState } from "@/lib/supabase";

/**
 * The service client for the current user: null until supabase-js has restored the session
 * (so nothing is asked anonymously by mistake), then new whenever the access token changes.
 */
export function useServiceClient(): { client: ServiceClient | null; session: SessionState } {
  const { apiUrl } = useRuntimeConfig();
  const session = useSession();
  const ready = session.status !== "loading";
  const token = accessTokenOf(session);
  const client = useMemo(
    () => (ready ? { baseUrl: apiUrl, accessToken: token } : null),
    [apiUrl, ready, token],
  );
  return { client, session };
}
