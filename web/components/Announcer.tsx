"use client";

import { usePathname } from "next/navigation";
import {
  createContext,
  useCallback,
  useContext,
  useMemo,
  useRef,
  useState,
  type ReactNode,
} from "react";

import type { VideoStatus } from "@/lib/api/types";

type Tone = "success" | "info" | "error";

/** A message about a lesson's video: true only while the video's status is one of `while`. */
interface About {
  lessonId: string;
  while: VideoStatus[];
}

interface Message {
  id: number;
  text: string;
  tone: Tone;
  /** The page it is about: shown there only (announce, then navigate, and it is still said). */
  path: string;
  about: About | null;
}

type Announce = (text: string, options?: { tone?: Tone; path?: string; about?: About }) => void;

/** A lesson's video is now `status`: a message about it that is no longer true goes. */
type Settle = (lessonId: string, status: VideoStatus) => void;

const AnnounceContext = createContext<Announce>(() => undefined);
const SettleContext = createContext<Settle>(() => undefined);
const MessageContext = createContext<Message | null>(null);

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

export function useSettle(): Settle {
  return useContext(SettleContext);
}

export function useAnnounce(): Announce {
  return useContext(AnnounceContext);
}

/** The page's status line: always in the page, empty until something happens. It stays in
 * view while the page scrolls; the author can put it away. */
export function PageStatus() {
  const message = useContext(MessageContext);
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
