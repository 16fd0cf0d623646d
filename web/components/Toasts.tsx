"use client";

import Link from "next/link";
import { useCallback, useEffect, useRef } from "react";

import { useAutoDismiss } from "@/lib/hooks/useAutoDismiss";
import { useClearOfFocus } from "@/lib/hooks/useClearOfFocus";
import { toastText, type Toast } from "@/lib/notifications/toast";

/**
 * The toasts, in an `aria-live="polite"` region that is always in the page, each dismissable
 * by keyboard. A success goes by itself (paused while the pointer or focus is on the
 * notifications, or the tab is hidden); a failure stays until dismissed. They never cover the
 * focused control.
 */
export function Toasts({ toasts, expire }: { toasts: Toast[]; expire: (key: string) => void }) {
  const region = useRef<HTMLDivElement>(null);
  const lasting = useCallback((toast: Toast) => toast.kind === "failed", []);
  const timing = useAutoDismiss(toasts, lasting, expire);
  const box = useRef<HTMLElement>(null);
  const placement = useClearOfFocus(box);
  const holdWhileUsed = useCallback(() => {
    const section = box.current;
    if (section === null) return;
    const used = section.matches(":hover") || section.contains(document.activeElement);
    // Nor while the tab is hidden: the author has not seen them yet.
    if (used || document.visibilityState === "hidden") timing.pause();
    else timing.resume();
  }, [timing]);
  useEffect(() => {
    document.addEventListener("visibilitychange", holdWhileUsed);
    return () => document.removeEventListener("visibilitychange", holdWhileUsed);
  }, [holdWhileUsed]);
  useEffect(holdWhileUsed, [toasts, holdWhileUsed]); // a toast arriving in a hidden tab waits

  const dismiss = (key: string) => {
    const buttons = Array.from(
      region.current?.querySelectorAll<HTMLButtonElement>("button[data-dismiss]") ?? [],
    );
    const index = buttons.findIndex((button) => button.dataset.dismiss === key);
    const next = buttons[index + 1] ?? buttons[index - 1] ?? null;
    expire(key);
    // Focus stays in the notifications, or returns to the page, never to the document body.
    if (next) next.focus();
    else document.getElementById("main")?.focus();
  };

  return (
    <section
      className={`toasts toasts-${placement}`}
      aria-label="Notifications"
      ref={box}
      onMouseEnter={timing.pause}
      onMouseLeave={holdWhileUsed}
      onFocus={timing.pause}
      onBlur={() => requestAnimationFrame(holdWhileUsed)}
    >
      <div ref={region} aria-live="polite" aria-relevant="additions text" data-testid="toasts">
        {toasts.map((toast) => (
          <div
            key={toast.key}
            className={`toast toast-${toast.kind}`}
            data-testid="toast"
            data-toast-lesson={toast.lessonId}
            data-kind={toast.kind}
          >
            <p>
              «<Link href={`/lessons/${toast.lessonId}`}>{toast.title}</Link>» {toastText(toast)}
            </p>
            <button
              type="button"
              className="toast-dismiss"
              data-dismiss={toast.key}
              aria-label={`Dismiss the notification about «${toast.title}»`}
              onClick={() => dismiss(toast.key)}
            >
              ×
            </button>
          </div>
        ))}
      </div>
    </section>
  );
}
