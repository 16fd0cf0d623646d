"use client";

import { useEffect, useState } from "react";

import { ApiError } from "@/lib/api/apiError";
import type { ServiceClient } from "@/lib/api/types";

export type Loaded<T> =
  | { state: "loading" }
  | { state: "ready"; value: T }
  | { state: "failed"; error: ApiError; retrying: boolean };

const FINAL = new Set([401, 403, 404]);
const RETRY_MS = 3000;

/**
 * Loads something from the service once a client is ready, again when the client changes (a
 * new token), and keeps retrying every few seconds while the service is unreachable or busy.
 */
export function useLoaded<T>(
  client: ServiceClient | null,
  load: (client: ServiceClient) => Promise<T>,
): Loaded<T> {
  const [loaded, setLoaded] = useState<Loaded<T>>({ state: "loading" });
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    if (client === null) return;
    let active = true;
    let timer: ReturnType<typeof setTimeout> | null = null;
    load(client).then(
      (value) => {
        if (active) setLoaded({ state: "ready", value });
      },
      (error: unknown) => {
        if (!active) return;
        const apiError =
          error instanceof ApiError ? error : new ApiError(0, "unexpected", "Something went wrong.");
        const retrying = !FINAL.has(apiError.status);
        setLoaded({ state: "failed", error: apiError, retrying });
        if (retrying) timer = setTimeout(() => setAttempt((n) => n + 1), RETRY_MS);
      },
    );
    return () => {
      active = false;
      if (timer !== null) clearTimeout(timer);
    };
  }, [client, load, attempt]);
  return loaded;
}
