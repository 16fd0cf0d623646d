"use client";

import type { ReactNode } from "react";

import { Toasts } from "@/components/Toasts";
import {
  CoursesContext,
  HistoryContext,
  LessonRevisionsContext,
  UploadingContext,
  VideoChangesContext,
} from "@/lib/hooks/authorActivity";
import { useAuthorStream } from "@/lib/hooks/useAuthorStream";
import { useServiceClient } from "@/lib/hooks/useServiceClient";
import { useToasts } from "@/lib/hooks/useToasts";

/**
 * Notifications on every page, from the author's own stream (`GET /api/me/events`): a toast
 * when one of their videos becomes ready or fails while the app is open (never for what the
 * first listing already says), once per lesson and video version; and, when the tab is hidden
 * and the author allowed it, a browser notification too. Mounted once, in the root layout, so
 * the stream and the toasts live across in-app navigation; what the stream says is handed to
 * pages through the contexts of lib/hooks/authorActivity.ts.
 */
export function NotificationsProvider({ children }: { children: ReactNode }) {
  const { client, session } = useServiceClient();
  const userId = session.status === "signed-in" ? session.session.user.id : null;
  const { toasts, history, tell, expire, forgetLesson } = useToasts(userId);
  const { changes, uploading, courses, revisions } = useAuthorStream({
    client,
    userId,
    tell,
    forgetLesson,
  });
  return (
    <>
      <VideoChangesContext.Provider value={changes}>
        <UploadingContext.Provider value={uploading}>
          <HistoryContext.Provider value={history}>
            <CoursesContext.Provider value={courses}>
              <LessonRevisionsContext.Provider value={revisions}>
                {children}
              </LessonRevisionsContext.Provider>
            </CoursesContext.Provider>
          </HistoryContext.Provider>
        </UploadingContext.Provider>
      </VideoChangesContext.Provider>
      <Toasts toasts={toasts} expire={expire} />
    </>
  );
}
