/**
 * Live status from the service's event streams (SSE): a lesson's video, a course's lessons, or
 * every lesson of the signed-in author. One `follow` loop reconnects them all.
 */

import { ApiError } from "@/lib/api/apiError";
import { listCourses, readCourse, readVideo, segment } from "@/lib/api/rest";
import type {
  Connection,
  CourseFields,
  CourseListing,
  LessonVideo,
  MyLessonEntry,
  MyLessonVideo,
  ServiceClient,
} from "@/lib/api/types";

interface StreamHandlers {
  onConnection?: (state: Connection) => void;
  /** The service refused the stream for good (401, 404): nothing more will arrive. */
  onFailure?: (error: ApiError) => void;
}

export interface VideoSubscription extends StreamHandlers {
  onVideo: (video: LessonVideo) => void;
}

export interface CourseSubscription extends StreamHandlers {
  onLessons: (listing: CourseListing) => void;
  onVideo: (video: LessonVideo) => void;
  /** The course's own row changed (renamed, described, published or made draft). */
  onCourse?: (course: CourseFields) => void;
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
