"use client";

import { useEffect, useState } from "react";

import type { ApiError } from "@/lib/api/apiError";
import { subscribeToCourse } from "@/lib/api/streams";
import type { Connection, Course, CourseFields, CourseLessonEntry, CourseListing, LessonVideo, ServiceClient } from "@/lib/api/types";

export interface LiveCourse {
  listing: CourseListing | null;
  /** The course's own fields as last sent (`event: course`: renamed, described...), if since
   * the page read it. */
  course: CourseFields | null;
  videos: Record<string, LessonVideo>;
  connection: Connection;
  failure: ApiError | null;
}

/** A course's visible lessons and their video states, kept current by one course stream. */
export function useLiveCourse(client: ServiceClient | null, courseId: string): LiveCourse {
  const [listing, setListing] = useState<CourseListing | null>(null);
  const [course, setCourse] = useState<CourseFields | null>(null);
  const [videos, setVideos] = useState<Record<string, LessonVideo>>({});
  const [connection, setConnection] = useState<Connection>("connecting");
  const [failure, setFailure] = useState<ApiError | null>(null);

  useEffect(() => {
    if (client === null) return;
    return subscribeToCourse(client, courseId, {
      onLessons: (next) => {
        setFailure(null);
        setListing(next);
      },
      onVideo: (video) => setVideos((all) => ({ ...all, [video.lessonId]: video })),
      onCourse: (fields) =>
        setCourse((now) => (now !== null && now.revision > fields.revision ? now : fields)),
      onConnection: setConnection,
      onFailure: setFailure,
    });
  }, [client, courseId]);

  return { listing, course, videos, connection, failure };
}

/** The lessons to show, in order, and each one's video: the stream's once it has spoken, the
 * page's first reading of the course until then. */
export function currentLessons(
  live: LiveCourse,
  course: Course,
): { lessons: CourseLessonEntry[]; videos: Record<string, LessonVideo> } {
  const lessons =
    live.listing?.lessons ??
    course.lessons.map(({ lessonId, title, position, visibility }) => ({
      lessonId,
      title,
      position,
      visibility,
    }));
  const videos = {
    ...Object.fromEntries(course.lessons.map((lesson) => [lesson.lessonId, lesson.video])),
    ...live.videos,
  };
  return { lessons, videos };
}

/** The course's title and description as they are now: the stream's once it has sent the
 * course, else `fields` (the page's reading, or its own save); whichever is the newer revision. */
export function currentFields<T extends CourseFields>(live: LiveCourse, fields: T): T {
  const sent = live.course;
  if (sent === null || sent.courseId !== fields.courseId || sent.revision < fields.revision) {
    return fields;
  }
  return { ...fields, ...sent };
}
