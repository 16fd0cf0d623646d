"use client";

import { useCallback, useEffect, useRef, useState } from "react";

import { subscribeToMe } from "@/lib/api/streams";
import type { CourseFields, ServiceClient, VideoStatus } from "@/lib/api/types";
import type { UploadingLesson } from "@/lib/hooks/authorActivity";
import { useSettle } from "@/lib/hooks/useAnnounce";
import type { Toast } from "@/lib/notifications/toast";

/** A burst of changes within this is counted once (one more reading of the counts). */
const CHANGES_COALESCE_MS = 300;

interface Known {
  status: VideoStatus;
  version: number;
  courseId: string;
  /** The video's playback id when last heard of (undefined: the listing does not say). */
  playbackId?: string | null;
}

/**
 * Follows the signed-in author's own stream (`GET /api/me/events`): `tell` a toast when one of
 * their videos becomes ready or fails while the app is open (never for what the first listing
 * already says; once per lesson and video version; not when a cancelled replacement leaves the
 * lesson with the video it had), `forgetLesson` when a lesson is deleted; and keeps what pages
 * read (see authorActivity.ts): how often the lessons changed, which are uploading, the
 * courses and the lessons' text revisions as last sent.
 */
export function useAuthorStream({
  client,
  userId,
  tell,
  forgetLesson,
}: {
  client: ServiceClient | null;
  userId: string | null;
  tell: (toast: Toast) => void;
  forgetLesson: (lessonId: string) => void;
}) {
  const settle = useSettle();
  const known = useRef(new Map<string, Known>());
  const told = useRef(new Set<string>());
  const listed = useRef(false);
  const following = useRef<string | null>(null);
  const [changes, setChanges] = useState(0);
  const [uploading, setUploading] = useState<UploadingLesson[]>([]);
  const [courses, setCourses] = useState<Record<string, CourseFields>>({});
  const [revisions, setRevisions] = useState<Record<string, number>>({});
  const revised = useCallback((lessonId: string, revision: number) => {
    setRevisions((all) => (all[lessonId] === revision ? all : { ...all, [lessonId]: revision }));
  }, []);
  const recount = useCallback(() => {
    const now: UploadingLesson[] = [];
    known.current.forEach((lesson, lessonId) => {
      if (lesson.status === "uploading") now.push({ lessonId, courseId: lesson.courseId });
    });
    setUploading((before) => (JSON.stringify(before) === JSON.stringify(now) ? before : now));
  }, []);
  const changeTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const changed = useCallback(() => {
    if (changeTimer.current !== null) return; // a burst of changes is one more reading
    changeTimer.current = setTimeout(() => {
      changeTimer.current = null;
      setChanges((n) => n + 1);
      recount();
    }, CHANGES_COALESCE_MS);
  }, [recount]);
  useEffect(
    () => () => {
      if (changeTimer.current !== null) clearTimeout(changeTimer.current);
    },
    [],
  );

  useEffect(() => {
    if (client === null || client.accessToken === null) return;
    if (following.current !== userId) {
      // Another person signed in: nothing of the last one's is known or said.
      following.current = userId;
      known.current = new Map();
      told.current = new Set();
      listed.current = false;
    }
    const toastFor = (
      lessonId: string,
      title: string,
      status: VideoStatus,
      version: number,
      error: string | null,
      visible: boolean,
    ) => {
      if (status !== "published" && status !== "errored") return;
      const key = `${lessonId}:${version}`;
      if (told.current.has(key)) return;
      told.current.add(key);
      tell({
        key,
        lessonId,
        title,
        kind: status === "published" ? "ready" : "failed",
        error,
        visible,
      });
    };
    return subscribeToMe(client, {
      onLessons: (lessons) => {
        // The first listing is how things were when the app opened: nothing to announce. A
        // later one (after a reconnect) may carry what changed while the stream was down.
        const first = !listed.current;
        listed.current = true;
        for (const lesson of lessons) {
          revised(lesson.lessonId, lesson.revision);
          const before = known.current.get(lesson.lessonId);
          if (before && before.version >= lesson.videoVersion) continue;
          known.current.set(lesson.lessonId, {
            courseId: lesson.courseId,
            status: lesson.status,
            version: lesson.videoVersion,
          });
          if (!first && before && before.status !== lesson.status) {
            const visible = lesson.visibility === "public" && lesson.courseVisibility === "public";
            const { lessonId, title, status, videoVersion } = lesson;
            toastFor(lessonId, title, status, videoVersion, null, visible);
          }
        }
        if (!first) changed(); // a reconnect: whatever changed meanwhile
        else recount();
      },
      onVideo: (video) => {
        revised(video.lessonId, video.revision); // edited elsewhere: sent with the same version
        const before = known.current.get(video.lessonId);
        if (before && before.version >= video.videoVersion) return;
        known.current.set(video.lessonId, {
          courseId: video.courseId,
          status: video.status,
          version: video.videoVersion,
          playbackId: video.playbackId,
        });
        if (before?.status !== video.status) {
          changed();
          settle(video.lessonId, video.status); // "…Mux is processing it" is no longer true
          // Back to the video it already had (a replacement cancelled): nothing new is ready.
          const same = before?.playbackId !== undefined && before.playbackId === video.playbackId;
          if (!(video.status === "published" && same)) {
            toastFor(
              video.lessonId,
              video.title,
              video.status,
              video.videoVersion,
              video.error,
              video.visibleToLearners,
            );
          }
        }
      },
      // A course renamed, described, published elsewhere: pages showing it read again.
      onCourse: (course) => {
        setCourses((all) => ({ ...all, [course.courseId]: course }));
        changed();
      },
      onRemoved: (lessonId) => {
        known.current.delete(lessonId);
        changed();
        forgetLesson(lessonId);
      },
    });
  }, [client, tell, forgetLesson, userId, changed, recount, settle, revised]);

  return { changes, uploading, courses, revisions };
}
