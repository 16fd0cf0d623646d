"use client";

import { useEffect, useState } from "react";

import {
  subscribeToCourse,
  type ApiError,
  type Connection,
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
