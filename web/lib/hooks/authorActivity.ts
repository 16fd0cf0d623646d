"use client";

import { createContext, useContext } from "react";

import type { CourseFields } from "@/lib/api/types";
import type { Toast } from "@/lib/notifications/toast";

/*
 * What the signed-in author's stream (`GET /api/me/events`, followed once by
 * `NotificationsProvider` in the root layout) says, for any page to read: how often their
 * lessons changed, which are uploading, their courses and lessons' text as last sent, and the
 * notifications of this session. Each in its own context, so a page re-renders only for what
 * it reads.
 */

export interface UploadingLesson {
  lessonId: string;
  courseId: string;
}

/** Everything below, as `NotificationsProvider` passes it on. */
export interface AuthorActivity {
  changes: number;
  uploading: UploadingLesson[];
  courses: Record<string, CourseFields>;
  revisions: Record<string, number>;
  history: Toast[];
}

/** Before the stream has said anything (and for a visitor). */
export const NO_ACTIVITY: AuthorActivity = {
  changes: 0,
  uploading: [],
  courses: {},
  revisions: {},
  history: [],
};

/** How many times the author's lessons changed (a status, a lesson added or deleted) while
 * the app was open, counted at most once per CHANGES_COALESCE_MS (useAuthorStream): pages that
 * show counts read them again when it moves. */
export const VideoChangesContext = createContext(0);
/** The author's lessons whose video is `uploading` (by course), kept current. */
export const UploadingContext = createContext<UploadingLesson[]>([]);
/** The author's courses as last sent by their stream (`event: course`), by id. */
export const CoursesContext = createContext<Record<string, CourseFields>>({});
/** The author's lessons' text revisions (title and description edits) as their stream last
 * sent them, by lesson id. */
export const LessonRevisionsContext = createContext<Record<string, number>>({});
/** Every notification of this session, newest first (the header's list). */
export const HistoryContext = createContext<Toast[]>([]);

/** A number that moves (at most every CHANGES_COALESCE_MS) when the signed-in author's
 * lessons change: a video's status, a lesson added or deleted, in any tab or by Mux. */
export function useVideoChanges(): number {
  return useContext(VideoChangesContext);
}

/** The signed-in author's lessons whose video is `uploading`, with their course. */
export function useUploadingLessons(): UploadingLesson[] {
  return useContext(UploadingContext);
}

/** The course as its stream last sent it, when that is newer than `course` (a page's own
 * reading): renamed or described in another tab, shown at once. */
export function useCurrentCourse<T extends CourseFields>(course: T): T {
  const sent = useContext(CoursesContext)[course.courseId];
  return sent !== undefined && sent.revision >= course.revision ? { ...course, ...sent } : course;
}

/** One of the author's lessons' text revision as their stream last sent it (null: not known). */
export function useLessonRevision(lessonId: string): number | null {
  return useContext(LessonRevisionsContext)[lessonId] ?? null;
}

/** Every notification of this session, newest first (kept after its toast has gone). */
export function useNotificationHistory(): Toast[] {
  return useContext(HistoryContext);
}
