"use client";

import Link from "next/link";
import { useCallback, useEffect, useRef, useState } from "react";

import { ConnectionNotice } from "@/components/ConnectionNotice";
import { LearnerPageInstead } from "@/components/LearnerPageInstead";
import { PreviewLink } from "@/components/PreviewLink";
import { LessonForm } from "@/components/LessonForm";
import { AuthorPlayer } from "@/components/AuthorPlayer";
import { LessonVideoControls } from "@/components/LessonVideoControls";
import { LiveRegion } from "@/components/LiveRegion";
import { LoadState } from "@/components/LoadFailure";
import { MediaLinks } from "@/components/MediaLinks";
import { NotFound } from "@/components/NotFound";
import { PageTitle } from "@/components/PageTitle";
import { PublishControl } from "@/components/PublishControl";
import { UploadInterrupted } from "@/components/UploadInterrupted";
import { VideoNotices } from "@/components/VideoNotices";
import { VideoStatusBadge } from "@/components/VideoStatusBadge";
import type { UploaderHandle } from "@/components/VideoUploader";
import { readLesson } from "@/lib/api/rest";
import type { Lesson, LessonDetail, ServiceClient } from "@/lib/api/types";
import { formatDuration, spokenDuration } from "@/lib/format";
import { useActionMessage } from "@/lib/hooks/useActionMessage";
import { useLiveLessonDetails } from "@/lib/hooks/useLiveLessonDetails";
import { useLiveVideo } from "@/lib/hooks/useLiveVideo";
import { useLoaded } from "@/lib/hooks/useLoaded";
import { useServiceClient } from "@/lib/hooks/useServiceClient";
import { useUpload } from "@/lib/hooks/useUploads";

/** The author's lesson page (client-rendered, live): details, video, live status, publish.
 * Learners get the server-rendered page of components/learner/ instead. */
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
  if (ready && !lesson.value.editable) return <LearnerPageInstead what="the lesson" />;
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
  const upload = useUpload(lesson.lessonId);
  const uploadingHere = upload?.phase === "starting" || upload?.phase === "uploading";
  // `uploading` is shown as the service answers, not only when the stream next speaks (which
  // may fold a small file's `uploading` into `processing`).
  const issued = upload?.issued ?? null;
  const { offer } = live;
  useEffect(() => {
    if (issued !== null) offer(issued);
  }, [issued, offer]);
  const message = useActionMessage(uploadingHere);
  const uploader = useRef<UploaderHandle>(null);
  const replaceButton = useRef<HTMLButtonElement>(null);

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
  const visibleToLearners =
    details.visibility === "public" &&
    lesson.courseVisibility === "public" &&
    video.status === "published";
  const duration = formatDuration(video.durationSeconds);

  return (
    <article className="lesson" data-lesson={lesson.lessonId}>
      <PageTitle title={details.title} />
      <p className="crumbs">
        <Link href={`/courses/${lesson.courseId}`}>← Back to the course</Link>
      </p>
      <header className="lesson-header">
        <h1>{details.title}</h1>
        <VideoStatusBadge video={video} />
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
        <PreviewLink href={`/lessons/${lesson.lessonId}/preview`} what="lesson" />
      </header>
      {duration && video.playbackId && (
        <p className="lesson-meta">
          <span className="visually-hidden">Duration: {spokenDuration(video.durationSeconds)}</span>
          <span aria-hidden="true">{duration}</span>
        </p>
      )}
      <ConnectionNotice connection={live.connection} />
      <LiveRegion urgent>
        {live.failure && <p className="notice notice-error">{live.failure.message}</p>}
      </LiveRegion>
      <VideoNotices video={video} live={live} visibleToLearners={visibleToLearners} />
      <UploadInterrupted
        video={video}
        onUploadAgain={() => {
          if (video.playbackId) setReplacingFrom(video.playbackId);
          else uploader.current?.focus();
        }}
      />
      <AuthorPlayer video={video} title={details.title} />
      <LessonVideoControls
        client={client}
        title={details.title}
        video={video}
        live={live}
        replacing={replacing}
        uploadingHere={uploadingHere}
        showUploader={!video.playbackId || replacing || uploadingHere}
        setReplacingFrom={setReplacingFrom}
        uploader={uploader}
        replaceButton={replaceButton}
        message={message}
      />
      <MediaLinks video={video} />
      <section className="panel details" aria-labelledby="details-heading">
        <h2 id="details-heading">Details</h2>
        <LessonForm
          mode="edit"
          client={client}
          lesson={details}
          onSaved={(saved) => setDetails((now) => ({ ...now, ...saved }))}
        />
      </section>
    </article>
  );
}
