"use client";

import { useRouter } from "next/navigation";
import { useCallback, useState } from "react";

import { browserNotifications } from "@/lib/notifications/permission";
import { HISTORY_KEPT, MAX_TOASTS, textOf, type Toast } from "@/lib/notifications/toast";

/**
 * The toasts on screen and every notification of this session (newest first): `tell` shows
 * one, and when the tab is hidden and the author allowed it, a browser notification too
 * (clicking it opens the lesson). Another person signed in: none of the last one's stay.
 */
export function useToasts(userId: string | null) {
  const router = useRouter();
  const [toasts, setToasts] = useState<Toast[]>([]);
  const [history, setHistory] = useState<Toast[]>([]);
  const [toastsOf, setToastsOf] = useState(userId);

  if (toastsOf !== userId) {
    setToastsOf(userId);
    setToasts([]);
    setHistory([]);
  }

  const tell = useCallback(
    (toast: Toast) => {
      setToasts((all) => [...all, toast].slice(-MAX_TOASTS));
      setHistory((all) => [toast, ...all].slice(0, HISTORY_KEPT));
      const api = browserNotifications();
      if (api !== null && api.permission === "granted" && document.visibilityState === "hidden") {
        const shown = new api(textOf(toast), { tag: toast.key });
        shown.onclick = () => {
          window.focus();
          router.push(`/lessons/${toast.lessonId}`);
          shown.close();
        };
      }
    },
    [router],
  );

  /** The toast goes (dismissed, or gone by itself); it stays in the history. */
  const expire = useCallback(
    (key: string) => setToasts((all) => all.filter((toast) => toast.key !== key)),
    [],
  );

  /** A deleted lesson's toasts would lead nowhere. */
  const forgetLesson = useCallback(
    (lessonId: string) => setToasts((all) => all.filter((toast) => toast.lessonId !== lessonId)),
    [],
  );

  return { toasts, history, tell, expire, forgetLesson };
}
