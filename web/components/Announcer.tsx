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

type Tone = "success" | "info" | "error";

interface Message {
  id: number;
  text: string;
  tone: Tone;
  /** The page it is about: shown there only (announce, then navigate, and it is still said). */
  path: string;
}

type Announce = (text: string, options?: { tone?: Tone; path?: string }) => void;

const AnnounceContext = createContext<Announce>(() => undefined);
const MessageContext = createContext<Message | null>(null);

/**
 * What happened after an action, said in one place: `useAnnounce()("Lesson moved up.")`. The
 * message shows in `PageStatus`, a live region at the top of every page that exists before its
 * text changes (so screen readers read each message), and survives an in-app navigation to
 * the page it names (create a course, then open it: "Course created." is said there).
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
    });
  }, []);
  return (
    <AnnounceContext.Provider value={announce}>
      <MessageContext.Provider value={message}>{children}</MessageContext.Provider>
    </AnnounceContext.Provider>
  );
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
