"use client";

import Link from "next/link";
import { useCallback, useState } from "react";

import { ConnectionNotice } from "@/components/ConnectionNotice";
import { LessonPlayer } from "@/components/LessonPlayer";
import { LoadFailure } from "@/components/LoadFailure";
import { NotFound } from "@/components/NotFound";
import { StatusBadge } from "@/components/StatusBadge";
import { describeError, VideoUploader } from "@/components/VideoUploader";
import {
  cancelUpload,
  readLesson,
  removeVideo,
  type LessonDetail,
  type LessonVideo,
  type ServiceClient,
} from "@/lib/api";
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
      {lesson.editable && (
        <VideoActions
          client={client}
          video={video}
          onDone={(next) => live.replace(next)}
          replacing={replacing}
        />
      )}
      <MediaLinks video={video} />
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

/** Cancel the upload in flight; remove the video (after a second click to confirm). */
function VideoActions({
  client,
  video,
  onDone,
  replacing,
}: {
  client: ServiceClient;
  video: LessonVideo;
  onDone: (video: LessonVideo) => void;
  replacing: boolean;
}) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function run(action: (c: ServiceClient, id: string) => Promise<LessonVideo>) {
    setBusy(true);
    setError(null);
    try {
      onDone(await action(client, video.lessonId));
      setConfirming(false);
    } catch (failure) {
      setError(describeError(failure));
    } finally {
      setBusy(false);
    }
  }

  const canCancel = video.status === "uploading";
  const canRemove = Boolean(video.playbackId) && !replacing && !canCancel;
  if (!canCancel && !canRemove && !error) return null;
  return (
    <div className="actions">
      {canCancel && (
        <button
          type="button"
          className="button button-secondary"
          data-testid="cancel-upload"
          disabled={busy}
          onClick={() => run(cancelUpload)}
        >
          Cancel upload
        </button>
      )}
      {canRemove && !confirming && (
        <button
          type="button"
          className="button button-secondary"
          data-testid="remove-video"
          disabled={busy}
          onClick={() => setConfirming(true)}
        >
          Remove video
        </button>
      )}
      {canRemove && confirming && (
        <span className="confirm">
          Remove this video from the lesson? Viewers will no longer see it.{" "}
          <button
            type="button"
            className="button button-danger"
            data-testid="confirm-remove"
            disabled={busy}
            onClick={() => run(removeVideo)}
          >
            Yes, remove it
          </button>{" "}
          <button type="button" className="link" onClick={() => setConfirming(false)}>
            Keep it
          </button>
        </span>
      )}
      {error && (
        <p className="notice notice-error" role="alert" data-testid="action-error">
          {error}
        </p>
      )}
    </div>
  );
}

/** Captions and downloads Mux made for the published video. */
function MediaLinks({ video }: { video: LessonVideo }) {
  const captions = video.captions ?? [];
  const downloads = (video.downloads ?? []).filter((d) => d.url);
  if (captions.length === 0 && downloads.length === 0) return null;
  return (
    <ul className="media" data-testid="media">
      {captions.map((caption) => (
        <li key={caption.trackId}>
          Captions: {caption.name} ({caption.languageCode}) · {caption.status}
        </li>
      ))}
      {downloads.map((download) => (
        <li key={download.name}>
          <a href={download.url ?? undefined} download>
            Download {download.resolution ?? download.name}
          </a>
        </li>
      ))}
    </ul>
  );
}
