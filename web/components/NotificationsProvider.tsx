"use client";

import { useEffect, useState, type ReactNode } from "react";

import {
  CoursesContext,
  HistoryContext,
  LessonRevisionsContext,
  NO_ACTIVITY,
  UploadingContext,
  VideoChangesContext,
  type AuthorActivity,
} from "@/lib/hooks/authorActivity";
import { useServiceClient } from "@/lib/hooks/useServiceClient";
import { mayHaveSession } from "@/lib/supabase";

/** The notifications' live region, empty: in the page from the start, so what is said in it
 * later is read out. */
function NoToasts() {
  return (
    <section className="toasts toasts-bottom" aria-label="Notifications">
      <div aria-live="polite" aria-relevant="additions text" data-testid="toasts" />
    </section>
  );
}

type Engine = typeof import("@/components/AuthorNotifications").AuthorNotifications;

/**
 * Notifications on every page, from the author's own stream (`GET /api/me/events`): a toast
 * when one of their videos becomes ready or fails while the app is open (never for what the
 * first listing already says), once per lesson and video version; and, when the tab is hidden
 * and the author allowed it, a browser notification too. Mounted once, in the root layout, so
 * the stream and the toasts live across in-app navigation; what the stream says is handed to
 * pages through the contexts of lib/hooks/authorActivity.ts. Its code
 * (components/AuthorNotifications.tsx) loads at the first sign-in: a visitor's pages carry
 * only this shell.
 */
export function NotificationsProvider({ children }: { children: ReactNode }) {
  const { client, session } = useServiceClient();
  const userId = session.status === "signed-in" ? session.session.user.id : null;
  const [activity, setActivity] = useState<AuthorActivity>(NO_ACTIVITY);
  // Its code (the stream, the toasts and their timing) is fetched at the first sign-in, or
  // as soon as a session may exist (its cookie, a sign-in link) while the session is being
  // restored, so the stream opens as soon as the session is known, as when it was not loaded
  // apart (a change made meanwhile would otherwise be missed). Not through next/dynamic: a
  // Suspense boundary's reveal is throttled, which would open the stream later. Once mounted
  // it stays (a sign-out, then another sign-in, as before).
  const [needed, setNeeded] = useState(false);
  if (userId !== null && !needed) setNeeded(true);
  const [engine, setEngine] = useState<{ AuthorNotifications: Engine } | null>(null);
  useEffect(() => {
    if (!needed && !mayHaveSession()) return;
    let active = true;
    void import("@/components/AuthorNotifications").then((loaded) => {
      if (active) setEngine(loaded);
    });
    return () => {
      active = false;
    };
  }, [needed]);
  return (
    <>
      <VideoChangesContext.Provider value={activity.changes}>
        <UploadingContext.Provider value={activity.uploading}>
          <HistoryContext.Provider value={activity.history}>
            <CoursesContext.Provider value={activity.courses}>
              <LessonRevisionsContext.Provider value={activity.revisions}>
                {children}
              </LessonRevisionsContext.Provider>
            </CoursesContext.Provider>
          </HistoryContext.Provider>
        </UploadingContext.Provider>
      </VideoChangesContext.Provider>
      {needed && engine !== null ? (
        <engine.AuthorNotifications client={client} userId={userId} onActivity={setActivity} />
      ) : (
        <NoToasts />
      )}
    </>
  );
}
