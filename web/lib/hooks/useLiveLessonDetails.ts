"use client";

import { useEffect, useRef } from "react";

import { readLesson } from "@/lib/api/rest";
import type { Lesson, ServiceClient } from "@/lib/api/types";
import { useLessonRevision } from "@/lib/hooks/authorActivity";

/**
 * A lesson's own fields kept current on its author's page: the author's stream (open on every
 * page, `GET /api/me/events`) sends a lesson again when its title or description is edited,
 * with its `revision`; when that is newer than what the page shows, the lesson is read again
 * (title, description and revision together) and handed to `onNewer`. No stream of its own: a browser holds few connections
 * per server over HTTP/1.1.
 */
export function useLiveLessonDetails(
  client: ServiceClient,
  lesson: Pick<Lesson, "lessonId" | "revision">,
  onNewer: (lesson: Lesson) => void,
): void {
  const listed = useLessonRevision(lesson.lessonId);
  const shown = useRef(lesson.revision);
  const onNewerRef = useRef(onNewer);
  useEffect(() => {
    shown.current = lesson.revision;
    onNewerRef.current = onNewer;
  });
  useEffect(() => {
    if (listed === null || listed <= shown.current) return;
    let current = true;
    readLesson(client, lesson.lessonId).then(
      (now) => {
        if (current) onNewerRef.current(now);
      },
      () => undefined, // the page's own stream says what is wrong
    );
    return () => {
      current = false;
    };
  }, [client, lesson.lessonId, listed]);
}
