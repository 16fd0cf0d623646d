"use client";

import { useCallback, useEffect, useRef } from "react";

import { saveProgress } from "@/lib/api/rest";
import type { Progress, ServiceClient } from "@/lib/api/types";

/** Saves progress: one request at a time, the latest position wins; failures are said. */
export function useProgressSaver(
  client: ServiceClient | null,
  lessonId: string,
  say: (text: string) => void,
): (progress: Progress, leaving: boolean) => void {
  const clientRef = useRef(client);
  useEffect(() => {
    clientRef.current = client;
  }, [client]);
  return useCallback(
    (progress: Progress, leaving: boolean) => {
      const current = clientRef.current;
      if (!current?.accessToken) return;
      saveProgress(current, lessonId, progress, { keepalive: leaving }).catch((error: Error) => {
        if (!leaving) say(error.message);
      });
    },
    [lessonId, say],
  );
}
