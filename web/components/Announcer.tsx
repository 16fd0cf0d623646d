"use client";

import { usePathname } from "next/navigation";
import { useCallback, useMemo, useRef, useState, type ReactNode } from "react";

import {
  AnnounceContext,
  MessageContext,
  SettleContext,
  usePageMessage,
  type Announce,
  type Message,
  type Settle,
} from "@/lib/hooks/useAnnounce";

/**
 * What happened after an action, said in one place: `useAnnounce()("Lesson moved up.")`. The
 * message shows in `PageStatus`, a live region at the top of every page that exists before its
 * text changes (so screen readers read each message), and survives an in-app navigation to
 * the page it names (create a course, then open it: "Course created." is said there). A
 * message about a lesson's video ("…Mux is processing it") goes by itself once the video has
 * moved on (`settle`, called by the notifications provider).
 */
export function AnnouncerProvider({ children }: { children: ReactNode }) {
  const [message, setMessage] = useState<Message | null>(null);
  const next = useRef(0);
  const announce = useCallback<Announce>((text, options) => {
    next.current += 1;
    setMessage({
      id: next.current,
      text,
      tone: options?.tone ?? "success",
      path: options?.path ?? window.location.pathname,
      about: options?.about ?? null,
    });
  }, []);
  const settle = useCallback<Settle>((lessonId, status) => {
    setMessage((now) =>
      now?.about?.lessonId === lessonId && !now.about.while.includes(status) ? null : now,
    );
  }, []);
  return (
    <AnnounceContext.Provider value={announce}>
      <SettleContext.Provider value={settle}>
        <MessageContext.Provider value={message}>{children}</MessageContext.Provider>
      </SettleContext.Provider>
    </AnnounceContext.Provider>
  );
}

/** The page's status line: always in the page, empty until something happens. It stays in
 * view while the page scrolls; the author can put it away. */
export function PageStatus() {
  const message = usePageMessage();
  const pathname = usePathname();
  const [dismissed, setDismissed] = useState<number | null>(null);
  const shown = useMemo(
    () =>
      message !== null && message.path === pathname && message.id !== dismissed ? message : null,
    [message, pathname, dismissed],
  );
  return (
    <div className="page-status">
      <div role="status" aria-live="polite" data-testid="page-status">
        {shown && (
          <p key={shown.id} className={`notice notice-${shown.tone}`}>
            {shown.text}
          </p>
        )}
      </div>
      {shown && (
        <button
          type="button"
          className="page-status-dismiss"
          aria-label="Dismiss this message"
          onClick={() => {
            setDismissed(shown.id);
            document.getElementById("main")?.focus();
          }}
        >
          ×
        </button>
      )}
    </div>
  );
}
