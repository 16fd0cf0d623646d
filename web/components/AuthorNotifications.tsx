"use client";

import { useEffect } from "react";

import { Toasts } from "@/components/Toasts";
import type { ServiceClient } from "@/lib/api/types";
import type { AuthorActivity } from "@/lib/hooks/authorActivity";
import { useAuthorStream } from "@/lib/hooks/useAuthorStream";
import { useToasts } from "@/lib/hooks/useToasts";

/**
 * What `NotificationsProvider` loads once someone signs in (a visitor never downloads it): the
 * author's stream followed, the toasts shown, and what the stream says handed up
 * (`onActivity`) for the provider to pass on to pages.
 */
export function AuthorNotifications({
  client,
  userId,
  onActivity,
}: {
  client: ServiceClient | null;
  userId: string | null;
  onActivity: (activity: AuthorActivity) => void;
}) {
  const { toasts, history, tell, expire, forgetLesson } = useToasts(userId);
  const { changes, uploading, courses, revisions } = useAuthorStream({
    client,
    userId,
    tell,
    forgetLesson,
  });
  useEffect(
    () => onActivity({ changes, uploading, courses, revisions, history }),
    [changes, uploading, courses, revisions, history, onActivity],
  );
  return <Toasts toasts={toasts} expire={expire} />;
}
