"use client";

import { useRef } from "react";

import { useNotificationPermission } from "@/lib/hooks/useNotificationPermission";

/**
 * Asks the browser for permission to notify the author when a video is ready while this tab is
 * in the background (the toasts on the page need no permission). Says where things stand.
 */
export function NotificationToggle() {
  const { permission, request } = useNotificationPermission();
  const state = useRef<HTMLDivElement>(null);
  if (permission === "unsupported") return null;
  return (
    <div className="notification-toggle" data-testid="notification-toggle">
      <div className="live" role="status" aria-live="polite" tabIndex={-1} ref={state}>
        {permission === "granted" && (
          <p className="muted">
            Desktop notifications are on: you are told when a video is ready, even while this
            tab is in the background.
          </p>
        )}
        {permission === "denied" && (
          <p className="muted">
            Desktop notifications are blocked for this site in your browser&apos;s settings. You
            still see notifications on the page.
          </p>
        )}
      </div>
      {permission === "default" && (
        <p className="muted">
          Want to know when a video is ready while you work in another tab?{" "}
          <button
            type="button"
            className="link"
            onClick={async () => {
              await request();
              state.current?.focus(); // the button is gone: focus what it changed
            }}
          >
            Turn on desktop notifications
          </button>
        </p>
      )}
    </div>
  );
}
