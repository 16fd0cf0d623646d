"use client";

import { useCallback, useEffect, useId, useRef, useState } from "react";

import { useAnnounce } from "@/components/Announcer";
import { DetailsFields, SaveProblems } from "@/components/DetailsFields";
import { LiveRegion } from "@/components/LiveRegion";
import {
  describeError,
  VideoUploader,
  type UploaderHandle,
  type UploadPhase,
} from "@/components/VideoUploader";
import {
  addLesson,
  cancelUpload,
  updateLesson,
  type Lesson,
  type ServiceClient,
} from "@/lib/api";
import { useDetailsForm } from "@/lib/useDetailsForm";

type LessonFormProps =
  | { mode: "new"; client: ServiceClient; courseId: string }
  | {
      mode: "edit";
      client: ServiceClient;
      lesson: Lesson;
      onSaved: (lesson: Lesson) => void;
      onCancel?: () => void;
    };

interface Started {
  lesson: Lesson;
  file: File;
}

/**
 * A lesson's title, description and (for a new lesson) its video, in one form.
 *
 * New: saving creates the lesson (`POST /api/courses/{id}/lessons`, a draft at the end of the
 * course) and then uploads the chosen file through MuxUploader, whose `endpoint` asks the
 * service for the lesson's Mux upload URL (`POST /api/mux/upload`). The form empties for the
 * next lesson while the upload goes on below it; several can go up at once. Leaving the page
 * while one is going up asks first.
 *
 * Edit: saves against the lesson's `revision` (`If-Match`); when it was changed elsewhere
 * meanwhile (409 `edit_conflict`) the form shows the current version and lets the author save
 * theirs over it, or take it.
 */
export function LessonForm(props: LessonFormProps) {
  const announce = useAnnounce();
  const idBase = useId();
  const editing = props.mode === "edit" ? props.lesson : null;
  const [file, setFile] = useState<File | null>(null);
  const [started, setStarted] = useState<Started[]>([]);
  const fileInput = useRef<HTMLInputElement>(null);
  const forget = useCallback(
    (lessonId: string) => setStarted((all) => all.filter((one) => one.lesson.lessonId !== lessonId)),
    [],
  );

  const form = useDetailsForm<Lesson>({
    initial: { title: editing?.title ?? "", description: editing?.description ?? "" },
    revision: editing?.revision ?? null,
    save: (fields, revision) =>
      props.mode === "new"
        ? addLesson(props.client, props.courseId, fields)
        : updateLesson(props.client, props.lesson.lessonId, fields, revision),
    onSaved: (lesson, submitted) => {
      if (props.mode === "edit") {
        props.onSaved(lesson);
        announce(`Saved «${lesson.title}».`);
        return;
      }
      if (file) setStarted((all) => [...all, { lesson, file }]);
      announce(
        file
          ? `Lesson «${lesson.title}» added. Its video is uploading; you can add the next lesson meanwhile.`
          : `Lesson «${lesson.title}» added. Add its video on the lesson's page.`,
      );
      // Ready for the next lesson (keeping whatever the author typed while this one saved).
      form.clear(submitted);
      const input = fileInput.current;
      if (input && (input.files?.[0] ?? null) === file) {
        input.value = "";
        setFile(null);
      }
      const active = document.activeElement;
      if (!(active instanceof HTMLInputElement || active instanceof HTMLTextAreaElement)) {
        form.titleRef.current?.focus();
      }
    },
    onCurrent: (current) => {
      if (props.mode === "edit") props.onSaved(current);
      announce("The form now shows the version saved elsewhere.");
    },
  });

  return (
    <>
      <form className="details-form" onSubmit={form.submit} noValidate data-testid="lesson-form">
        <DetailsFields
          idBase={idBase}
          what="lesson"
          draft={form.draft}
          onChange={form.setDraft}
          errors={form.errors}
          titleRef={form.titleRef}
          descriptionRef={form.descriptionRef}
        />
        {props.mode === "new" && (
          <div className="field">
            <label htmlFor={`${idBase}-video`}>Video</label>
            <input
              id={`${idBase}-video`}
              ref={fileInput}
              name="video"
              type="file"
              accept="video/*"
              aria-describedby={`${idBase}-video-hint`}
              onChange={(event) => setFile(event.target.files?.[0] ?? null)}
            />
            <p id={`${idBase}-video-hint`} className="hint">
              Optional: it starts uploading to Mux when you add the lesson. You can also add it
              later on the lesson&apos;s page.
            </p>
          </div>
        )}
        <SaveProblems what="lesson" form={form} />
        <div className="form-actions">
          <button type="submit" className="button" disabled={form.busy}>
            {props.mode === "new" ? (form.busy ? "Adding…" : "Add lesson") : form.busy ? "Saving…" : "Save changes"}
          </button>
          {props.mode === "edit" && props.onCancel && (
            <button type="button" className="button button-secondary" onClick={props.onCancel}>
              Cancel
            </button>
          )}
        </div>
      </form>
      {props.mode === "new" && started.length > 0 && (
        <ul className="uploads" aria-label="Uploads from this form">
          {started.map(({ lesson, file: chosen }) => (
            <StartedUpload
              key={lesson.lessonId}
              client={props.client}
              lesson={lesson}
              file={chosen}
              onGone={forget}
              afterCancel={() => form.titleRef.current?.focus()}
            />
          ))}
        </ul>
      )}
    </>
  );
}

/** One new lesson's video going up: its progress, and a way to stop it. Once the file is at
 * Mux it goes (the lesson's row shows processing, and a notification says when it is ready). */
function StartedUpload({
  client,
  lesson,
  file,
  onGone,
  afterCancel,
}: {
  client: ServiceClient;
  lesson: Lesson;
  file: File;
  onGone: (lessonId: string) => void;
  afterCancel: () => void;
}) {
  const announce = useAnnounce();
  const uploader = useRef<UploaderHandle>(null);
  const [phase, setPhase] = useState<UploadPhase>({ name: "idle" });
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (phase.name !== "sent") return;
    announce(`«${lesson.title}» is uploaded. Mux is processing it; you will be told when it is ready.`);
    onGone(lesson.lessonId);
  }, [phase.name, lesson.lessonId, lesson.title, announce, onGone]);

  async function cancel() {
    uploader.current?.stop(); // the browser stops sending first, then the service cancels
    try {
      await cancelUpload(client, lesson.lessonId);
    } catch (failure) {
      setError(describeError(failure));
      return;
    }
    announce(`Upload of «${lesson.title}» cancelled. The lesson has no video yet.`);
    onGone(lesson.lessonId);
    afterCancel(); // this item (and the button) is gone: focus goes back to the form
  }

  return (
    <li className="upload-item" data-testid="started-upload" data-lesson={lesson.lessonId}>
      <p className="upload-item-title">
        <strong>{lesson.title}</strong> <span className="muted">{file.name}</span>
      </p>
      <VideoUploader
        client={client}
        lessonId={lesson.lessonId}
        file={file}
        compact
        ref={uploader}
        onPhase={setPhase}
      />
      {phase.name === "uploading" && (
        <button
          type="button"
          className="button button-secondary button-small"
          onClick={cancel}
          aria-label={`Cancel the upload of «${lesson.title}»`}
        >
          Cancel upload
        </button>
      )}
      <LiveRegion urgent>{error && <p className="notice notice-error">{error}</p>}</LiveRegion>
    </li>
  );
}
