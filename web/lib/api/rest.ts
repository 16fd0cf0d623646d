/**
 * A typed REST client for the mux-lessons service: the author's courses and lessons (list,
 * create, rename, reorder, delete, publish), uploads, and the learners' catalog. Small on
 * purpose: copy `lib/api/` into any app. Every failure is an `ApiError` (`apiError.ts`).
 */

import { ApiError, errorFrom, UNREACHABLE } from "@/lib/api/apiError";
import type {
  CatalogCourse,
  CourseFields,
  CourseSummary,
  LearnerCourse,
  Lesson,
  LessonDetail,
  LessonVideo,
  Progress,
  ServiceClient,
  UploadTicket,
  Visibility,
  WrittenFields,
} from "@/lib/api/types";

async function request<T>(client: ServiceClient, path: string, init: RequestInit = {}): Promise<T> {
  const headers = new Headers(init.headers);
  if (client.accessToken) headers.set("Authorization", `Bearer ${client.accessToken}`);
  if (init.body !== undefined) headers.set("Content-Type", "application/json");
  let response: Response;
  try {
    response = await fetch(`${client.baseUrl}${path}`, { ...init, headers, cache: "no-store" });
  } catch {
    throw new ApiError(
      0,
      UNREACHABLE,
      "The lesson service cannot be reached. Check your connection; this page will catch up when it is back.",
    );
  }
  if (!response.ok) throw await errorFrom(response);
  return (await response.json()) as T;
}


export const segment = encodeURIComponent;

/** A Mux direct-upload URL for the lesson (which then shows `uploading`). */
export function createUpload(client: ServiceClient, lessonId: string): Promise<UploadTicket> {
  return request(client, "/api/mux/upload", {
    method: "POST",
    body: JSON.stringify({ lessonId }),
  });
}

/** Gives up the upload in flight (Mux's cancel): the lesson returns to the video it had, or
 * `draft`. 409 `no_upload_in_progress` when there is none. `keepalive`: the request outlives
 * the page (sent as the tab closes). */
export function cancelUpload(
  client: ServiceClient,
  lessonId: string,
  options: { keepalive?: boolean } = {},
): Promise<LessonVideo> {
  return request(client, `/api/lessons/${segment(lessonId)}/upload`, {
    method: "DELETE",
    keepalive: options.keepalive,
  });
}

/** Removes the lesson's video: `draft` at once; its asset is deleted at Mux by the service's
 * worker. 409 `no_video` when there is none. */
export function removeVideo(client: ServiceClient, lessonId: string): Promise<LessonVideo> {
  return request(client, `/api/lessons/${segment(lessonId)}/video`, { method: "DELETE" });
}

export function readVideo(client: ServiceClient, lessonId: string): Promise<LessonVideo> {
  return request(client, `/api/lessons/${segment(lessonId)}/video`);
}

export function readLesson(client: ServiceClient, lessonId: string): Promise<LessonDetail> {
  return request(client, `/api/lessons/${segment(lessonId)}`);
}

/** The course and the lessons the caller may see, each with the caller's progress. */
export function readCourse(client: ServiceClient, courseId: string): Promise<LearnerCourse> {
  return request(client, `/api/courses/${segment(courseId)}`);
}

/** `If-Match` for a change made against `revision`: a stale one is 409 `edit_conflict`, whose
 * `current` is the row as it is now (show it, then save again against its revision). */
function ifMatch(revision: number | null): HeadersInit | undefined {
  return revision === null ? undefined : { "If-Match": `"${revision}"` };
}

/** The signed-in author's own courses, newest first. */
export async function listCourses(client: ServiceClient): Promise<CourseSummary[]> {
  return (await request<{ courses: CourseSummary[] }>(client, "/api/courses")).courses;
}

export function createCourse(client: ServiceClient, fields: WrittenFields): Promise<CourseSummary> {
  return request(client, "/api/courses", { method: "POST", body: JSON.stringify(fields) });
}

export function updateCourse(
  client: ServiceClient,
  courseId: string,
  fields: WrittenFields,
  revision: number | null,
): Promise<CourseFields> {
  return request(client, `/api/courses/${segment(courseId)}`, {
    method: "PATCH",
    body: JSON.stringify(fields),
    headers: ifMatch(revision),
  });
}

/** Deletes the course and its lessons; their videos are deleted at Mux by the service. */
export function deleteCourse(
  client: ServiceClient,
  courseId: string,
): Promise<{ courseId: string; deleted: true; lessonsDeleted: number; muxCleanupsScheduled: number }> {
  return request(client, `/api/courses/${segment(courseId)}`, { method: "DELETE" });
}

/** A `draft` lesson at the end of the course (upload its video with `createUpload`). */
export function addLesson(
  client: ServiceClient,
  courseId: string,
  fields: WrittenFields,
): Promise<Lesson> {
  return request(client, `/api/courses/${segment(courseId)}/lessons`, {
    method: "POST",
    body: JSON.stringify(fields),
  });
}

export function updateLesson(
  client: ServiceClient,
  lessonId: string,
  fields: WrittenFields,
  revision: number | null,
): Promise<Lesson> {
  return request(client, `/api/lessons/${segment(lessonId)}`, {
    method: "PATCH",
    body: JSON.stringify(fields),
    headers: ifMatch(revision),
  });
}

/** Deletes the lesson (the ones after it move up); its video is deleted at Mux. */
export function deleteLesson(
  client: ServiceClient,
  lessonId: string,
): Promise<{ lessonId: string; courseId: string; deleted: true }> {
  return request(client, `/api/lessons/${segment(lessonId)}`, { method: "DELETE" });
}

/** The course's lessons in this order, all or nothing: a list that is not exactly the
 * course's lessons is 409 `order_mismatch`, whose `current` is the order as it is. */
export async function reorderLessons(
  client: ServiceClient,
  courseId: string,
  lessonIds: string[],
): Promise<string[]> {
  const answer = await request<{ lessonIds: string[] }>(
    client,
    `/api/courses/${segment(courseId)}/lesson-order`,
    { method: "PUT", body: JSON.stringify({ lessonIds }) },
  );
  return answer.lessonIds;
}

/** Publishes (`public`) or unpublishes (`draft`) a course or a lesson. Not made against a
 * revision: it is a decision, not an edit of text, and never makes another tab's edit stale. */
export function setVisibility(
  client: ServiceClient,
  what: "course" | "lesson",
  id: string,
  visibility: Visibility,
): Promise<CourseFields | Lesson> {
  return request(client, `/api/${what === "course" ? "courses" : "lessons"}/${segment(id)}`, {
    method: "PATCH",
    body: JSON.stringify({ visibility }),
  });
}

/** Courses learners may open (public, with a lesson they may watch), newest first. */
export async function readCatalog(client: ServiceClient): Promise<CatalogCourse[]> {
  return (await request<{ courses: CatalogCourse[] }>(client, "/api/catalog")).courses;
}

/** `PUT /api/lessons/{id}/progress`: a signed-in learner's place in a lesson. `keepalive` lets
 * it finish while the page is left. A failure keeps the service's `code` and `Retry-After`;
 * its message says what could not be done. */
export async function saveProgress(
  client: ServiceClient,
  lessonId: string,
  progress: Progress,
  { keepalive = false }: { keepalive?: boolean } = {},
): Promise<void> {
  try {
    await request<unknown>(client, `/api/lessons/${segment(lessonId)}/progress`, {
      method: "PUT",
      body: JSON.stringify(progress),
      keepalive,
    });
  } catch (error) {
    throw placeNotSaved(error);
  }
}

/** The error of a failed progress save, its message saying so ("Your place could not be
 * saved: ..."); status, code, field, Retry-After and current kept. */
function placeNotSaved(error: unknown): unknown {
  if (!(error instanceof ApiError)) return error;
  const message =
    error.code === UNREACHABLE
      ? "Your place could not be saved: the lesson service cannot be reached."
      : `Your place could not be saved: ${error.message}`;
  return new ApiError(
    error.status,
    error.code,
    message,
    error.field,
    error.retryAfterSeconds,
    error.current,
  );
}
