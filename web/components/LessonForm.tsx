"use client";

import { useEffect, useId, useRef, useState, type FormEvent } from "react";

import { DetailsFields, SaveProblems } from "@/components/DetailsFields";
import { LiveRegion } from "@/components/LiveRegion";
import { NewerVersion } from "@/components/NewerVersion";
import { addLesson, updateLesson } from "@/lib/api/rest";
import type { Lesson, ServiceClient } from "@/lib/api/types";
import { describeError } from "@/lib/describeError";
import { lostFocus } from "@/lib/focus";
import { useAnnounce } from "@/lib/hooks/useAnnounce";
import { useDetailsForm } from "@/lib/hooks/useDetailsForm";
import { useUploadManager, useUploads } from "@/lib/hooks/useUploads";
import { refusalOf } from "@/lib/uploads/checkFile";
import type { Upload } from "@/lib/uploads/manager";

type LessonFormProps =
  | { mode: "new"; client: ServiceClient; courseId: string }
  | {
      mode: "edit";
      client: ServiceClient;
      lesson: Lesson;
      onSaved: (lesson: Lesson) => void;
      onCancel?: () => void;
      /** Opened by an Edit button: focus goes into the form, on its title. */
      autoFocus?: boolean;
    };

/**
 * A lesson's title, description and (for a new lesson) its video, in one form.
 *
 * New: saving creates the lesson (`POST /api/courses/{id}/lessons`, a draft at the end of the
 * course) and then hands the chosen file to the app's upload manager, which asks the service
 * for the lesson's Mux upload URL (`POST /api/mux/upload`) and sends it. The form empties for
 * the next lesson while the upload goes on below it (and in the uploads tray, on any page the
 * author moves to); several can go up at once. An empty file or one that is not a video is
 * refused next to the field, before the lesson is added.
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
  const [fileProblem, setFileProblem] = useState<string | null>(null);
  const [started, setStarted] = useState<string[]>([]);
  const fileInput = useRef<HTMLInputElement>(null);
  const uploads = useUploadManager();

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
      if (file) {
        uploads.start(lesson, file);
        setStarted((all) => [...all, lesson.lessonId]);
      }
      announce(
        file
          ? `Lesson «${lesson.title}» added. Its video is uploading; you can add the next lesson meanwhile.`
          : `Lesson «${lesson.title}» added. Add its video on the lesson's page.`,
        { about: { lessonId: lesson.lessonId, while: file ? ["draft", "uploading"] : ["draft"] } },
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
    autoFocus: props.mode === "edit" && props.autoFocus === true,
    latest: editing,
    onCurrent: (current) => {
      if (props.mode === "edit") props.onSaved(current);
      announce("The form now shows the version saved elsewhere.");
    },
  });

  /** A file that would only become a stuck upload is refused before the lesson is added. */
  const submit = (event: FormEvent<HTMLFormElement>) => {
    if (fileProblem !== null) {
      event.preventDefault();
      fileInput.current?.focus();
      return;
    }
    form.submit(event);
  };

  return (
    <>
      <form className="details-form" onSubmit={submit} noValidate data-testid="lesson-form">
        <NewerVersion
          what="lesson"
          shown={form.revision}
          revision={editing?.revision}
          title={editing?.title}
        />
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
              aria-invalid={fileProblem !== null ? true : undefined}
              aria-describedby={`${idBase}-video-hint${fileProblem !== null ? ` ${idBase}-video-error` : ""}`}
              onChange={(event) => {
                const chosen = event.target.files?.[0] ?? null;
                setFile(chosen);
                setFileProblem(chosen === null ? null : refusalOf(chosen));
              }}
            />
            <p id={`${idBase}-video-hint`} className="hint">
              Optional: it starts uploading to Mux when you add the lesson. You can also add it
              later on the lesson&apos;s page.
            </p>
            {fileProblem !== null && (
              <p id={`${idBase}-video-error`} className="field-error" data-testid="video-error">
                {fileProblem}
              </p>
            )}
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
      {props.mode === "new" && (
        <StartedUploads lessonIds={started} afterCancel={() => form.titleRef.current?.focus()} />
      )}
    </>
  );
}

/** The videos of the lessons this form added, while they go up: progress, and a way to stop
 * each. Once a file is at Mux it goes from here (the lesson's row shows processing, and a
 * notification says when it is ready). */
function StartedUploads({
  lessonIds,
  afterCancel,
}: {
  lessonIds: string[];
  afterCancel: () => void;
}) {
  const going = useUploads().filter(
    (upload) => lessonIds.includes(upload.lessonId) && upload.phase !== "sent",
  );
  // A file sent takes its item (and the Cancel focus may have been on) away: focus goes to
  // the lesson's row, which now says how its video is doing.
  const shownKey = going.map((upload) => upload.lessonId).join(",");
  const before = useRef<string[]>([]);
  useEffect(() => {
    const now = shownKey === "" ? [] : shownKey.split(",");
    const gone = before.current.filter((id) => !now.includes(id));
    before.current = now;
    if (gone.length === 0 || !lostFocus()) return;
    document.querySelector<HTMLElement>(`[data-lesson="${gone[0]}"] a`)?.focus();
  }, [shownKey]);
  if (going.length === 0) return null;
  return (
    <ul className="uploads" aria-label="Uploads from this form">
      {going.map((upload) => (
        <StartedUpload key={upload.lessonId} upload={upload} afterCancel={afterCancel} />
      ))}
    </ul>
  );
}

function StartedUpload({ upload, afterCancel }: { upload: Upload; afterCancel: () => void }) {
  const announce = useAnnounce();
  const uploads = useUploadManager();
  const [error, setError] = useState<string | null>(null);
  const going = upload.phase === "starting" || upload.phase === "uploading";

  async function cancel() {
    try {
      await uploads.cancel(upload.lessonId); // the browser stops sending first
    } catch (failure) {
      setError(describeError(failure));
      return;
    }
    announce(`Upload of «${upload.title}» cancelled. The lesson has no video yet.`);
    afterCancel(); // this item (and the button) is gone: focus goes back to the form
  }

  return (
    <li className="upload-item" data-testid="started-upload" data-lesson={upload.lessonId}>
      <p className="upload-item-title">
        <strong>{upload.title}</strong> <span className="muted">{upload.fileName}</span>
      </p>
      {going && (
        <div className="upload-progress">
          <progress
            max={100}
            value={upload.percent}
            aria-label={`Uploading ${upload.fileName}`}
          />
          <span>{upload.percent}%</span>
        </div>
      )}
      {upload.phase === "failed" && (
        <p className="notice notice-error" data-testid="upload-error">
          {upload.message}
        </p>
      )}
      {going && (
        <button
          type="button"
          className="button button-secondary button-small"
          onClick={cancel}
          aria-label={`Cancel upload of «${upload.title}»`}
        >
          Cancel upload
        </button>
      )}
      <LiveRegion urgent>{error && <p className="notice notice-error">{error}</p>}</LiveRegion>
    </li>
  );
}
