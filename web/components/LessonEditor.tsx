"use client";

import Link from "next/link";
import { useCallback, useEffect, useRef, useState, type ReactNode } from "react";

import { ConnectionNotice } from "@/components/ConnectionNotice";
import { PreviewLink } from "@/components/LearnerPreview";
import { LessonForm } from "@/components/LessonForm";
import { LessonPlayer } from "@/components/LessonPlayer";
import { LiveRegion } from "@/components/LiveRegion";
import { LoadState } from "@/components/LoadFailure";
import { NotFound } from "@/components/NotFound";
import { PageTitle } from "@/components/PageTitle";
import { PublishControl } from "@/components/PublishControl";
import { UploadInterrupted } from "@/components/UploadInterrupted";
import { VideoStatusBadge } from "@/components/VideoStatusBadge";
import { lostFocus, VideoUploader, type UploaderHandle } from "@/components/VideoUploader";
import { readLesson, removeVideo } from "@/lib/api/rest";
import type { Lesson, LessonDetail, LessonVideo, ServiceClient } from "@/lib/api/types";
import { describeError } from "@/lib/describeError";
import { formatDuration, spokenDuration } from "@/lib/format";
import { useLiveLessonDetails } from "@/lib/hooks/useLiveLessonDetails";
import { useLiveVideo, type LiveVideo } from "@/lib/hooks/useLiveVideo";
import { useLoaded } from "@/lib/hooks/useLoaded";
import { useServiceClient } from "@/lib/hooks/useServiceClient";
import { useUpload, useUploadManager } from "@/lib/hooks/useUploads";

/** The lesson page: for its author the editor (details, video, live status); for everyone
 * else the published lesson, read-only. */
export function LessonEditor({
  lessonId,
}: {
  lessonId: string;
}) {
  const { client, session } = useServiceClient();
  const load = useCallback((c: ServiceClient) => readLesson(c, lessonId), [lessonId]);
  const lesson = useLoaded(client, load);
  const here = `/lessons/${lessonId}`;

  if (lesson.state === "failed" && lesson.error.status === 404) {
    return (
      <NotFound what="Lesson" signedIn={session.status === "signed-in"} next={here} />
    );
  }
  const ready = client !== null && lesson.state === "ready";
  return (
    <>
      {!ready && <PageTitle title="Lesson" />}
      <LoadState
        what="the lesson"
        loading={!ready}
        error={lesson.state === "failed" ? lesson.error : null}
        retrying={lesson.state === "failed" && lesson.retrying}
      />
      {ready && (
        <LessonBody
          key={lesson.value.lessonId}
          client={client}
          lesson={lesson.value}
          signedIn={session.status === "signed-in"}
          />
      )}
    </>
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
  const [details, setDetails] = useState<Lesson>(lesson);
  // Edited elsewhere (another tab): title and description shown at once; a form being edited
  // keeps its text.
  useLiveLessonDetails(client, details, (now) =>
    setDetails((shown) => (now.revision > shown.revision ? { ...shown, ...now } : shown)),
  );
  // "Replace video" stays open until a new playback id arrives (the new video is published).
  const [replacingFrom, setReplacingFrom] = useState<string | null>(null);
  const replacing = replacingFrom !== null && replacingFrom === video.playbackId;
  // The lesson's file going up from this tab (started on any page): the manager's.
  const uploads = useUploadManager();
  const upload = useUpload(lesson.lessonId);
  const uploadingHere = upload?.phase === "starting" || upload?.phase === "uploading";
  const [said, setSaid] = useState<{ text: string; tone: "success" | "error" } | null>(null);
  const saidRef = useRef<HTMLParagraphElement>(null);
  const uploader = useRef<UploaderHandle>(null);
  const replaceButton = useRef<HTMLButtonElement>(null);
  const focusSaid = useRef(false);

  useEffect(() => {
    if (said !== null && focusSaid.current) {
      focusSaid.current = false;
      saidRef.current?.focus();
    }
  }, [said]);

  // A new upload: what was said of the last action no longer stands.
  const [wasUploading, setWasUploading] = useState(uploadingHere);
  if (uploadingHere !== wasUploading) {
    setWasUploading(uploadingHere);
    if (uploadingHere) setSaid(null);
  }

  // The video failed at Mux, was cancelled or removed: the uploader offers a file again.
  useEffect(() => {
    if (["errored", "cancelled", "draft"].includes(video.status)) uploader.current?.ready();
  }, [video.status]);

  if (live.failure?.status === 404) {
    const next = `/lessons/${lesson.lessonId}`;
    return (
      <NotFound what="Lesson" signedIn={signedIn} next={next} gone />
    );
  }
  const editable = lesson.editable;
  const visibleToLearners =
    details.visibility === "public" &&
    lesson.courseVisibility === "public" &&
    video.status === "published";
  const showUploader = editable && (!video.playbackId || replacing || uploadingHere);
  const duration = formatDuration(video.durationSeconds);

  /** Says what an action did, next to the video, and takes focus there (the control that
   * was used is gone). */
  const tell = (text: string, tone: "success" | "error" = "success") => {
    focusSaid.current = true;
    setSaid({ text, tone });
  };

  return (
    <article className="lesson" data-lesson={lesson.lessonId}>
      <PageTitle title={details.title} />
      <p className="crumbs">
        <Link href={`/courses/${lesson.courseId}`}>← Back to the course</Link>
      </p>
      <header className="lesson-header">
        <h1>{details.title}</h1>
        {editable && <VideoStatusBadge video={video} />}
        {editable && (
          <PublishControl
            client={client}
            what="lesson"
            id={lesson.lessonId}
            title={details.title}
            visibility={details.visibility}
            status={video.status}
            courseVisibility={lesson.courseVisibility}
            onChanged={(visibility) => setDetails((now) => ({ ...now, visibility }))}
          />
        )}
        {editable && <PreviewLink href={`/lessons/${lesson.lessonId}/preview`} what="lesson" />}
      </header>
      {duration && video.playbackId && (
        <p className="lesson-meta">
          <span className="visually-hidden">Duration: {spokenDuration(video.durationSeconds)}</span>
          <span aria-hidden="true">{duration}</span>
        </p>
      )}
      {!editable && details.description && <p className="lead">{details.description}</p>}
      <ConnectionNotice connection={live.connection} quiet={!editable} />
      <LiveRegion urgent>
        {live.failure && <p className="notice notice-error">{live.failure.message}</p>}
      </LiveRegion>
      {editable && <VideoNotices video={video} live={live} visibleToLearners={visibleToLearners} />}
      {editable && (
        <UploadInterrupted
          video={video}
          onUploadAgain={() => {
            if (video.playbackId) setReplacingFrom(video.playbackId);
            else uploader.current?.focus();
          }}
        />
      )}
      <LessonPlayer video={video} title={details.title} />
      {editable && (
        <section className="video-controls" aria-label="Video">
          {replacing && (
            <p className="muted">
              The current video keeps playing until the new one is published.{" "}
              <button
                type="button"
                className="link"
                onClick={() => {
                  // A replacement already going up is given up properly: not left uploading.
                  if (uploadingHere) {
                    uploads.cancel(lesson.lessonId).then(live.replace, () => undefined);
                  }
                  setReplacingFrom(null);
                  requestAnimationFrame(() => replaceButton.current?.focus());
                }}
              >
                Keep the current video
              </button>
            </p>
          )}
          {showUploader && (
            <VideoUploader
              lessonId={lesson.lessonId}
              title={details.title}
              ref={uploader}
              autoFocus={replacing}
            />
          )}
          <VideoActions
            video={video}
            replacing={replacing}
            uploadingHere={uploadingHere}
            replace={
              video.playbackId && !replacing ? (
                <button
                  type="button"
                  className="button"
                  data-testid="replace-video"
                  ref={replaceButton}
                  onClick={() => {
                    setSaid(null);
                    setReplacingFrom(video.playbackId);
                  }}
                >
                  Replace video
                </button>
              ) : null
            }
            onCancel={async () => {
              // The manager stops what this browser is sending first (otherwise its next
              // chunk meets a cancelled upload), then the service cancels it.
              const next = await uploads.cancel(video.lessonId);
              live.replace(next);
              setReplacingFrom(null);
              tell(
                next.playbackId
                  ? "Upload cancelled. The lesson keeps the video it had before."
                  : "Upload cancelled. The lesson has no video yet; choose a file to upload.",
              );
            }}
            onRemove={async () => {
              live.replace(await removeVideo(client, video.lessonId));
              tell("Video removed. Mux deletes its file; choose another file to upload.");
            }}
          />
          <div className="live" role="status" aria-live="polite">
            {said && (
              <p
                className={`notice notice-${said.tone}`}
                data-testid="action-message"
                tabIndex={-1}
                ref={saidRef}
              >
                {said.text}
              </p>
            )}
          </div>
        </section>
      )}
      <MediaLinks video={video} />
      {editable && (
        <section className="panel details" aria-labelledby="details-heading">
          <h2 id="details-heading">Details</h2>
          <LessonForm
            mode="edit"
            client={client}
            lesson={details}
            onSaved={(saved) => setDetails((now) => ({ ...now, ...saved }))}
          />
        </section>
      )}
    </article>
  );
}

function VideoNotices({
  video,
  live,
  visibleToLearners,
}: {
  video: LessonVideo;
  live: LiveVideo;
  visibleToLearners: boolean;
}) {
  // The uploader (and the progress focus was on) goes when the video moves on: focus goes
  // to what the page now says about it.
  const said = useRef<HTMLParagraphElement>(null);
  useEffect(() => {
    if (lostFocus()) said.current?.focus();
  }, [video.status]);
  let notice: { tone: string; text: string } | null = null;
  switch (video.status) {
    case "processing":
      notice = {
        tone: "info",
        text: "Your video is processing. You will be told here when it is ready.",
      };
      break;
    case "published":
      if (live.changedTo === "published") {
        notice = {
          tone: "success",
          text: visibleToLearners
            ? "Your video is ready and now visible to learners."
            : "Your video is ready. Learners see it once the lesson and its course are public.",
        };
      }
      break;
    case "errored":
      notice = {
        tone: "error",
        text: `Mux could not process this video: ${video.error ?? "no reason given"}. Upload another file.`,
      };
      break;
    case "cancelled":
      notice = {
        tone: "warning",
        text: "The upload was cancelled or timed out before it finished. Upload the video again.",
      };
      break;
  }
  return (
    <LiveRegion urgent={video.status === "errored"}>
      {notice && (
        <p className={`notice notice-${notice.tone}`} data-testid="notice" tabIndex={-1} ref={said}>
          {notice.text}
        </p>
      )}
    </LiveRegion>
  );
}

/** The video's actions in one row: replace it, cancel the upload in flight, remove the video
 * (after confirming). */
function VideoActions({
  video,
  replacing,
  uploadingHere,
  replace,
  onCancel,
  onRemove,
}: {
  video: LessonVideo;
  replacing: boolean;
  uploadingHere: boolean;
  replace: ReactNode;
  onCancel: () => Promise<void>;
  onRemove: () => Promise<void>;
}) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const question = useRef<HTMLParagraphElement>(null);
  const removeButton = useRef<HTMLButtonElement>(null);
  const kept = useRef(false);

  useEffect(() => {
    if (confirming) question.current?.focus();
    else if (kept.current) {
      kept.current = false;
      removeButton.current?.focus();
    }
  }, [confirming]);

  async function run(action: () => Promise<void>) {
    setBusy(true);
    setError(null);
    try {
      await action();
      setConfirming(false);
    } catch (failure) {
      setError(describeError(failure));
    } finally {
      setBusy(false);
    }
  }

  const canCancel = video.status === "uploading" || uploadingHere;
  const canRemove = Boolean(video.playbackId) && !replacing && !canCancel;
  return (
    <>
      <div className="actions">
        {replace}
        {canCancel && (
          <button
            type="button"
            className="button button-secondary"
            data-testid="cancel-upload"
            disabled={busy}
            onClick={() => run(onCancel)}
          >
            Cancel upload
          </button>
        )}
        {canRemove && !confirming && (
          <button
            type="button"
            className="button button-secondary"
            data-testid="remove-video"
            ref={removeButton}
            disabled={busy}
            onClick={() => setConfirming(true)}
          >
            Remove video
          </button>
        )}
      </div>
      {canRemove && confirming && (
        <div className="confirm">
          <p tabIndex={-1} ref={question}>
            Remove this video from the lesson? Viewers will no longer see it, and its file is
            deleted at Mux.
          </p>
          <div className="form-actions">
            <button
              type="button"
              className="button button-danger"
              data-testid="confirm-remove"
              disabled={busy}
              onClick={() => run(onRemove)}
            >
              Yes, remove it
            </button>
            <button
              type="button"
              className="button button-secondary"
              onClick={() => {
                kept.current = true;
                setConfirming(false);
              }}
            >
              Keep it
            </button>
          </div>
        </div>
      )}
      <LiveRegion urgent>
        {error && (
          <p className="notice notice-error" data-testid="action-error">
            {error}
          </p>
        )}
      </LiveRegion>
    </>
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
