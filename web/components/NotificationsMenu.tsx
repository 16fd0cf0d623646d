"use client";

import Link from "next/link";
import { useEffect, useId, useRef, useState } from "react";

import { useNotificationHistory } from "@/lib/hooks/authorActivity";
import { textOf } from "@/lib/notifications/toast";

/**
 * "Notifications" in the header: every notification of this session, newest first, kept
 * after its toast has gone by itself. Opens and closes by its button; Escape closes it and
 * gives focus back to the button.
 */
export function NotificationsMenu() {
  const history = useNotificationHistory();
  const [open, setOpen] = useState(false);
  const [seen, setSeen] = useState(0);
  const button = useRef<HTMLButtonElement>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const id = useId();
  const unseen = open ? 0 : Math.max(0, history.length - seen);

  useEffect(() => {
    if (open) heading.current?.focus();
  }, [open]);

  const close = () => {
    setOpen(false);
    button.current?.focus();
  };

  return (
    <div
      className="notifications-menu"
      onKeyDown={(event) => {
        if (event.key === "Escape" && open) close();
      }}
    >
      <button
        type="button"
        className="button button-secondary button-small"
        ref={button}
        aria-expanded={open}
        aria-controls={id}
        data-testid="notifications-button"
        onClick={() => {
          setSeen(history.length);
          setOpen((now) => !now);
        }}
      >
        Notifications
        {unseen > 0 && (
          <span className="notifications-count">
            {unseen}
            <span className="visually-hidden"> new</span>
          </span>
        )}
      </button>
      <div className="notifications-panel" id={id} hidden={!open} data-testid="notifications-list">
        <h2 tabIndex={-1} ref={heading}>
          Notifications
        </h2>
        {history.length === 0 ? (
          <p className="muted">Nothing yet. You are told here when a video is ready or fails.</p>
        ) : (
          <ul>
            {history.map((toast) => (
              <li
                key={toast.key}
                data-testid="notification"
                data-notification-lesson={toast.lessonId}
                className={toast.kind === "failed" ? "notification-failed" : undefined}
              >
                <Link href={`/lessons/${toast.lessonId}`} onClick={() => setOpen(false)}>
                  {textOf(toast)}
                </Link>
              </li>
            ))}
          </ul>
        )}
      </div>
    </div>
  );
}
