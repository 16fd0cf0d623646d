"use client";

import { useEffect, useState } from "react";

import {
  subscribeToCourse,
  type ApiError,
  type Connection,
  type Course,
  type CourseLessonEntry,
  type CourseListing,
  type LessonVideo,
  type ServiceClient,
} from "@/lib/api";

export interface LiveCourse {
  listing: CourseListing | null;
  videos: Record<string, LessonVideo>;
  connection: Connection;
  failure: ApiError | null;
}

/** A course's visible lessons and their video states, kept current by one course stream. */
export function useLiveCourse(client: ServiceClient | null, courseId: string): LiveCourse {
  const [listing, setListing] = useState<CourseListing | null>(null);
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
      onConnection: setConnection,
      onFailure: setFailure,
    });
  }, [client, courseId]);

  return { listing, videos, connection, failure };
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
