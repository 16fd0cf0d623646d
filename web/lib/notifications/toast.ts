/** A change worth telling the author about: a video became ready, or failed. */
export interface Toast {
  key: string;
  lessonId: string;
  title: string;
  kind: "ready" | "failed";
  /** What Mux said, for a failure. */
  error: string | null;
  /** A ready video learners now see (lesson and course public); else only the author. */
  visible?: boolean;
}

/** At most this many toasts on screen; the oldest goes first. */
export const MAX_TOASTS = 4;
/** Notifications kept in the header's list. */
export const HISTORY_KEPT = 50;

export function textOf(toast: Toast): string {
  return `«${toast.title}» ${toastText(toast)}`;
}

/** What a toast says after the lesson's title: "is ready.", "is ready and now visible to
 * learners." (only when it is) or "failed: <Mux's message>.". */
export function toastText(toast: Toast): string {
  if (toast.kind === "failed") return `failed: ${toast.error ?? "Mux gave no reason"}.`;
  return toast.visible ? "is ready and now visible to learners." : "is ready.";
}
