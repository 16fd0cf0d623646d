"use client";

import { useSyncExternalStore } from "react";

import { sendingHere, subscribe } from "@/lib/uploads/sending";

/* Which lessons a tab of this browser is sending a file for (lib/uploads/sending.ts), kept
 * current in components. */

/** Whether a tab of this browser is sending the lesson's file, kept current. */
export function useSendingHere(lessonId: string): boolean {
  return useSyncExternalStore(
    subscribe,
    () => sendingHere(lessonId),
    () => true, // on the server: assume nothing is interrupted
  );
}

/** Of these lesson ids, those no tab of this browser is sending, kept current. */
export function useNotSentHere(lessonIds: string[]): string[] {
  const key = useSyncExternalStore(
    subscribe,
    () => lessonIds.filter((id) => !sendingHere(id)).join(","),
    () => "",
  );
  return key === "" ? [] : key.split(",");
}

/** An `uploading` lesson whose file no tab of this browser is sending: "Upload interrupted". */
export function useUploadInterrupted(lessonId: string, status: string | undefined): boolean {
  const sending = useSendingHere(lessonId);
  return status === "uploading" && !sending;
}
