/**
 * A typed client for the mux-lessons service: the author's courses and lessons (list, create,
 * rename, reorder, delete), uploads, the learners' catalog, and live status (a lesson, a
 * course, or every lesson of the signed-in author). Small on purpose: copy this file into any
 * app.
 *
 * Every failure is an `ApiError` with the service's stable `code` and a message fit to show a
 * user (`{"error": {"code", "message"}}` on the wire), including "cannot reach the service".
 */

export type VideoStatus =
  | "draft"
  | "uploading"
  | "processing"
  | "published"
  | "errored"
  | "cancelled";

/** `GET /api/lessons/{id}/video`, and each `video` event of the live stream. */
export interface LessonVideo {
  lessonId: string;
  status: VideoStatus;
  playbackId: string | null;
  playbackPolicy: "public" | "signed" | "drm" | null;
  durationSeconds: number | null;
  aspectRatio: string | null;
  /** What Mux said when the video failed (`errored`), else null. */
  error: string | null;
  statusChangedAt: string;
  /** A short-lived playback token, present when the policy is `signed`. */
  playbackToken?: string;
  /** Thumbnail and storyboard of the playing video (signed URLs when the policy is signed). */
  thumbnailUrl: string | null;
  storyboardUrl: string | null;
  /** Generated subtitles of the published video. */
  captions: Caption[];
  /** MP4 downloads of the published video; `url` once the rendition is ready. */
  downloads: Download[];
}

/** Who may watch, the author's decision (issue 28): a learner sees a lesson only when its
 * course and it are `public` and its video is `published`. New courses and lessons are drafts. */
export type Visibility = "draft" | "public";

export interface Caption {
  trackId: string;
  languageCode: string;
  name: string;
  status: "preparing" | "ready" | "errored" | "skipped";
}

export interface Download {
  name: string;
  resolution: string | null;
  url: string | null;
  status: "preparing" | "ready" | "errored" | "skipped";
}

export interface Lesson {
  lessonId: string;
  courseId: string;
  title: string;
  description: string | null;
  position: number;
  /** Counts edits of the title and description: what `If-Match` names (the `ETag`). */
  revision: number;
  visibility: Visibility;
  video: LessonVideo;
}

/** `GET /api/lessons/{id}`: `editable` is true when the caller owns the course. */
export interface LessonDetail extends Lesson {
  editable: boolean;
  /** Its course's visibility: learners see the lesson only when that is `public` too. */
  courseVisibility: Visibility;
}

/** A course's own fields, as every course route returns them. */
export interface CourseFields {
  courseId: string;
  title: string;
  description: string | null;
  visibility: Visibility;
  revision: number;
  createdAt: string;
  updatedAt: string;
}

/** `GET /api/courses/{id}`: the lessons the caller may see, in order (its owner: all). */
export interface Course extends CourseFields {
  editable: boolean;
  lessons: Lesson[];
}

/** `GET /api/courses`: one of the caller's own courses, its lessons counted by status. */
export interface CourseSummary extends CourseFields {
  lessonCount: number;
  lessonsByStatus: Record<VideoStatus, number>;
  /** How many of its lessons the author made public. */
  publicLessons: number;
}

/** `GET /api/catalog`: a course anyone may open (it has a published lesson). */
export interface CatalogCourse extends CourseFields {
  publishedLessons: number;
  firstLesson: { lessonId: string; title: string; thumbnailUrl: string | null };
}

/** What an author writes about a course or a lesson (the service trims and checks both). */
export interface WrittenFields {
  title?: string;
  /** Empty or null means none. */
  description?: string | null;
}

/** Limits the service enforces (422 `invalid_request` naming the field). */
export const TITLE_MAX = 200;
export const DESCRIPTION_MAX = 2000;

/** `POST /api/mux/upload`: the lesson already carries the upload; PUT the file to `url`. */
export interface UploadTicket {
  uploadId: string;
  url: string;
  lessonId: string;
  status: "uploading";
}

export interface ServiceClient {
  /** The service's base URL, e.g. `https://lessons.example.com`. */
  baseUrl: string;
  /** The Supabase access token of the signed-in user, if any. */
  accessToken: string | null;
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  /** The request field a 422 `invalid_request` is about (`title`, `description`...). */
  readonly field: string | null;
  /** Seconds to wait before trying again (`Retry-After`, on 429 and some 503s). */
  readonly retryAfterSeconds: number | null;
  /** What is current, on a 409: the lesson or course (`edit_conflict`), the lesson ids in
   * order (`order_mismatch`). */
  readonly current: unknown;

  constructor(
    status: number,
    code: string,
    message: string,
    field: string | null = null,
    retryAfterSeconds: number | null = null,
    current: unknown = null,
  ) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.field = field;
    this.retryAfterSeconds = retryAfterSeconds;
    this.current = current;
  }
}

export const UNREACHABLE = "service_unreachable";

const FALLBACK_MESSAGES: Record<number, string> = {
  401: "Your session has ended. Sign in again.",
  403: "You may not do that.",
  404: "Not found.",
  409: "That conflicts with the lesson's current video.",
  429: "Too many requests. Wait a moment and try again.",
  502: "Mux could not be reached. Try again shortly.",
  503: "The lesson service is busy or its database is unavailable. Try again shortly.",
};

async function errorFrom(response: Response): Promise<ApiError> {
  const retryAfter = Number(response.headers.get("retry-after"));
  const retryAfterSeconds = Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : null;
  let code = `http_${response.status}`;
  let message = FALLBACK_MESSAGES[response.status] ?? `The service answered ${response.status}.`;
  let field: string | null = null;
  let current: unknown = null;
  try {
    const body: unknown = await response.json();
    const error = (
      body as { error?: { code?: unknown; message?: unknown; field?: unknown; current?: unknown } }
    ).error;
    if (error && typeof error.code === "string") code = error.code;
    if (error && typeof error.message === "string" && error.message) message = error.message;
    if (error && typeof error.field === "string") field = error.field;
    if (error && error.current !== undefined) current = error.current;
  } catch {
    // Not JSON (a proxy's error page): keep the fallback message.
  }
  return new ApiError(response.status, code, message, field, retryAfterSeconds, current);
}

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

const segment = encodeURIComponent;

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

export function readCourse(client: ServiceClient, courseId: string): Promise<Course> {
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

export type Connection = "connecting" | "live" | "reconnecting";

interface StreamHandlers {
  onConnection?: (state: Connection) => void;
  /** The service refused the stream for good (401, 404): nothing more will arrive. */
  onFailure?: (error: ApiError) => void;
}

export interface VideoSubscription extends StreamHandlers {
  onVideo: (video: LessonVideo) => void;
}

/** A lesson as the course stream lists it (its video comes in `video` events). */
export interface CourseLessonEntry {
  lessonId: string;
  title: string;
  position: number | null;
  /** The lesson's visibility (the owner's stream; learners only ever see `public`). */
  visibility?: Visibility;
}

/** The `lessons` event of the course stream: the lessons the caller may see, in order. */
export interface CourseListing {
  courseId: string;
  title: string;
  lessons: CourseLessonEntry[];
}

export interface CourseSubscription extends StreamHandlers {
  onLessons: (listing: CourseListing) => void;
  onVideo: (video: LessonVideo) => void;
  /** The course's own row changed (renamed, described, published or made draft). */
  onCourse?: (course: CourseFields) => void;
}

/** A lesson of the signed-in author, as `GET /api/me/events` lists them. */
export interface MyLessonEntry {
  lessonId: string;
  courseId: string;
  title: string;
  /** Counts edits of the title and description. */
  revision: number;
  status: VideoStatus;
  videoVersion: number;
  visibility: Visibility;
  courseVisibility: Visibility;
}

/** A `video` event of `GET /api/me/events`: the video JSON with its lesson's course, title
 * and `videoVersion` (which grows with every change of the video). */
export interface MyLessonVideo extends LessonVideo {
  courseId: string;
  title: string;
  /** Counts edits of the title and description: sent again when it grows. */
  revision: number;
  videoVersion: number;
  visibility: Visibility;
  courseVisibility: Visibility;
  /** Public, in a public course, its video published: learners see it now. */
  visibleToLearners: boolean;
}

export interface MeSubscription extends StreamHandlers {
  /** Every lesson the author owns: first, and again after a reconnect. */
  onLessons: (lessons: MyLessonEntry[]) => void;
  /** A lesson created, or its video changed. */
  onVideo: (video: MyLessonVideo) => void;
  /** A lesson deleted, or no longer the author's. */
  onRemoved: (lessonId: string) => void;
  /** One of the author's courses changed (renamed, described, published or made draft). */
  onCourse?: (course: CourseFields) => void;
}

const FINAL_CODES = new Set([401, 403, 404]);

/**
 * Follows one event stream of the service. `EventSource` reconnects by itself after a dropped
 * connection (sending `Last-Event-ID`, so no state is sent twice). When the service answers
 * with an error instead of a stream, or ends the stream (`end`: no longer visible, or the
 * token expired), `refetch` asks the plain route why: a final refusal (401, 403, 404) is
 * reported, anything else retried with a new stream after a growing, jittered delay.
 */
function follow(
  client: ServiceClient,
  path: string,
  listeners: Record<string, (data: unknown) => void>,
  refetch: () => Promise<void>,
  handlers: StreamHandlers,
): () => void {
  const query = client.accessToken ? `?access_token=${segment(client.accessToken)}` : "";
  const url = `${client.baseUrl}${path}${query}`;
  let source: EventSource | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let stopped = false;
  let failures = 0;

  const connection = (state: Connection) => handlers.onConnection?.(state);

  const retryLater = () => {
    const delay = Math.min(15_000, 1_000 * 2 ** Math.min(failures, 4)) * (0.5 + Math.random());
    failures += 1;
    timer = setTimeout(open, delay);
  };

  function open() {
    if (stopped) return;
    connection(failures === 0 ? "connecting" : "reconnecting");
    const current = new EventSource(url);
    source = current;
    current.onopen = () => {
      failures = 0;
      connection("live");
    };
    for (const [name, listener] of Object.entries(listeners)) {
      current.addEventListener(name, (event) => {
        listener(JSON.parse((event as MessageEvent<string>).data));
      });
    }
    current.addEventListener("end", () => {
      current.close();
      if (!stopped) recover();
    });
    current.onerror = () => {
      if (stopped) return;
      connection("reconnecting");
      if (current.readyState !== EventSource.CLOSED) return; // the browser retries by itself
      current.close();
      recover();
    };
  }

  function recover() {
    connection("reconnecting");
    refetch().then(retryLater, (error: unknown) => {
      if (error instanceof ApiError && FINAL_CODES.has(error.status)) {
        stopped = true;
        handlers.onFailure?.(error);
      } else {
        retryLater();
      }
    });
  }

  open();
  return () => {
    stopped = true;
    if (timer !== null) clearTimeout(timer);
    source?.close();
  };
}

/**
 * Follows a lesson's video status: the current state first, then each change (see `follow`
 * for reconnection). Returns a function that stops everything.
 */
export function subscribeToVideo(
  client: ServiceClient,
  lessonId: string,
  handlers: VideoSubscription,
): () => void {
  return follow(
    client,
    `/api/lessons/${segment(lessonId)}/events`,
    { video: (data) => handlers.onVideo(data as LessonVideo) },
    async () => handlers.onVideo(await readVideo(client, lessonId)),
    handlers,
  );
}

/**
 * Follows every lesson of a course the caller may see, on one connection: `onLessons` with
 * the list (first, and whenever it changes), `onVideo` for each lesson's video state.
 */
export function subscribeToCourse(
  client: ServiceClient,
  courseId: string,
  handlers: CourseSubscription,
): () => void {
  return follow(
    client,
    `/api/courses/${segment(courseId)}/events`,
    {
      lessons: (data) => handlers.onLessons(data as CourseListing),
      video: (data) => handlers.onVideo(data as LessonVideo),
      course: (data) => handlers.onCourse?.(data as CourseFields),
    },
    async () => {
      const course = await readCourse(client, courseId);
      handlers.onLessons({
        courseId: course.courseId,
        title: course.title,
        lessons: course.lessons.map(({ lessonId, title, position, visibility }) => ({
          lessonId,
          title,
          position,
          visibility,
        })),
      });
      course.lessons.forEach((lesson) => handlers.onVideo(lesson.video));
    },
    handlers,
  );
}

/**
 * Follows every lesson the signed-in author owns, in every course, on one connection: the
 * whole set first (`onLessons`), then `onVideo` whenever a lesson is created or its video
 * changes, and `onRemoved`. Notifications on any page come from this (see `follow` for
 * reconnection; a refusal asks `GET /api/courses` why, so a lapsed session is final).
 */
export function subscribeToMe(client: ServiceClient, handlers: MeSubscription): () => void {
  return follow(
    client,
    "/api/me/events",
    {
      lessons: (data) => handlers.onLessons((data as { lessons: MyLessonEntry[] }).lessons),
      video: (data) => handlers.onVideo(data as MyLessonVideo),
      removed: (data) => handlers.onRemoved((data as { lessonId: string }).lessonId),
      course: (data) => handlers.onCourse?.(data as CourseFields),
    },
    async () => {
      await listCourses(client);
    },
    handlers,
  );
}
