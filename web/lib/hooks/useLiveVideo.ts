"use client";

import { useCallback, useEffect, useRef, useState } from "react";

import { ApiError } from "@/lib/api/apiError";
import { subscribeToVideo } from "@/lib/api/streams";
import type { Connection, LessonVideo, ServiceClient, VideoStatus } from "@/lib/api/types";

export interface LiveVideo {
  video: LessonVideo | null;
  /** Show this state now (what the service answered an action with); the stream follows. */
  replace: (video: LessonVideo) => void;
  /** Show this state unless what is shown changed status later (by `statusChangedAt`): an
   * answer that may already be overtaken by the stream. */
  offer: (video: LessonVideo) => void;
  connection: Connection;
  /** The stream was refused for good (the lesson is gone or no longer visible). */
  failure: ApiError | null;
  /** The status this page saw the video move to while open (for "ready"/"failed" notices). */
  changedTo: VideoStatus | null;
}

/** A lesson's video, kept current by the live stream while the component is mounted. */
export function useLiveVideo(
  client: ServiceClient | null,
  lessonId: string,
  initial: LessonVideo | null,
): LiveVideo {
  const [video, setVideo] = useState<LessonVideo | null>(initial);
  const [connection, setConnection] = useState<Connection>("connecting");
  const [failure, setFailure] = useState<ApiError | null>(null);
  const [changedTo, setChangedTo] = useState<VideoStatus | null>(null);
  const lastStatus = useRef<VideoStatus | null>(initial?.status ?? null);

  useEffect(() => {
    if (client === null) return;
    return subscribeToVideo(client, lessonId, {
      onVideo: (next) => {
        const before = lastStatus.current;
        lastStatus.current = next.status;
        if (before !== null && before !== next.status) setChangedTo(next.status);
        setFailure(null);
        setVideo(next);
      },
      onConnection: setConnection,
      onFailure: setFailure,
    });
  }, [client, lessonId]);

  const replace = useCallback((next: LessonVideo) => {
    lastStatus.current = next.status;
    setVideo(next);
  }, []);

  const offer = useCallback((next: LessonVideo) => {
    setVideo((shown) => {
      if (shown !== null && Date.parse(shown.statusChangedAt) > Date.parse(next.statusChangedAt)) {
        return shown;
      }
      lastStatus.current = next.status;
      return next;
    });
  }, []);

  return { video, replace, offer, connection, failure, changedTo };
}
