"use client";

import Link from "next/link";
import { useCallback, useState } from "react";

import { ConnectionNotice } from "@/components/ConnectionNotice";
import { LessonPlayer } from "@/components/LessonPlayer";
import { LoadFailure } from "@/components/LoadFailure";
import { NotFound } from "@/components/NotFound";
import { StatusBadge } from "@/components/StatusBadge";
import { VideoUploader } from "@/components/VideoUploader";
import { readLesson, type LessonDetail, type LessonVideo, type ServiceClient } from "@/lib/api";
import { useLiveVideo, type LiveVideo } from "@/lib/useLiveVideo";
import { useLoaded } from "@/lib/useLoaded";
import { useServiceClient } from "@/lib/useServiceClient";

/** The lesson editor: its video's live status, the uploader, and the player once published. */
export function LessonEditor({ lessonId }: { lessonId: string }) {
  const { client, session } = useServiceClient();
  const load = useCallback((c: ServiceClient) => readLesson(c, lessonId), [lessonId]);
  const lesson = useLoaded(client, load);
  const here = `/lessons/${lessonId}`;

  if (client === null || lesson.state === "loading") {
    return <p className="muted">Loading lesson…</p>;
  }
  if (lesson.state === "failed") {
    if (lesson.error.status === 404) {
      return <NotFound what="Lesson" signedIn={session.status === "signed-in"} next={here} />;
    }
    return <LoadFailure error={lesson.error} retrying={lesson.retrying} />;
  }
  return (
    <LessonBody
      key={lesson.value.lessonId}
      client={client}
      lesson={lesson.value}
      signedIn={session.status === "signed-in"}
    />
  );
}

function LessonBody({
  client,
  lesson,
  signedIn,
}: {
  client: ServiceClient;
  lesson: LessonDetail;
  signedIn: boolean;
}) {
  const live = useLiveVideo(client, lesson.lessonId, lesson.video);
  const video = live.video ?? lesson.video;
  // "Replace video" stays open until a new playback id arrives (the new video is published).
  const [replacingFrom, setReplacingFrom] = useState<string | null>(null);
  const replacing = replacingFrom !== null && replacingFrom === video.playbackId;

  if (live.failure?.status === 404) {
    return <NotFound what="Lesson" signedIn={signedIn} next={`/lessons/${lesson.lessonId}`} />;
  }
  const showUploader = lesson.editable && (!video.playbackId || replacing);

  return (
    <article className="lesson" data-lesson={lesson.lessonId}>
      <p className="crumbs">
        <Link href={`/courses/${lesson.courseId}`}>← Course</Link>
      </p>
      <header className="lesson-header">
        <h1>{lesson.title}</h1>
        <StatusBadge status={video.status} />
      </header>
      <ConnectionNotice connection={live.connection} />
      {live.failure && (
        <p className="notice notice-error" role="alert">
          {live.failure.message}
        </p>
      )}
      <VideoNotices video={video} live={live} />
      <LessonPlayer video={video} title={lesson.title} />
      {lesson.editable && video.playbackId && !replacing && (
        <button
          type="button"
          className="button"
          data-testid="replace-video"
          onClick={() => setReplacingFrom(video.playbackId)}
        >
          Replace video
        </button>
      )}
      {replacing && (
        <p className="muted">
          The current video keeps playing until the new one is published.{" "}
          <button type="button" className="link" onClick={() => setReplacingFrom(null)}>
            Keep the current video
          </button>
        </p>
      )}
      {showUploader && <VideoUploader client={client} lessonId={lesson.lessonId} />}
      {!lesson.editable && (
        <p className="muted">You are viewing this lesson; only its author can change its video.</p>
      )}
    </article>
  );
}

function VideoNotices({ video, live }: { video: LessonVideo; live: LiveVideo }) {
  switch (video.status) {
    case "processing":
      return (
        <p className="notice notice-info" role="status" data-testid="notice">
          Your video is processing. You will be told here when it is ready.
        </p>
      );
    case "published":
      return live.changedTo === "published" ? (
        <p className="notice notice-success" role="status" data-testid="notice">
          Your video is ready and published.
        </p>
      ) : null;
    case "errored":
      return (
        <p className="notice notice-error" role="alert" data-testid="notice">
          Mux could not process this video: {video.error ?? "no reason given"}. Upload another file.
        </p>
      );
    case "cancelled":
      return (
        <p className="notice notice-warning" role="status" data-testid="notice">
          The upload was cancelled or timed out before it finished. Upload the video again.
        </p>
      );
    default:
      return null;
  }
}
