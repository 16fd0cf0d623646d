"use client";

import { useId } from "react";

import { DetailsFields, SaveProblems } from "@/components/DetailsFields";
import { NewerVersion } from "@/components/NewerVersion";
import { createCourse, updateCourse } from "@/lib/api/rest";
import type { CourseFields, ServiceClient } from "@/lib/api/types";
import { useDetailsForm } from "@/lib/hooks/useDetailsForm";

/**
 * A course's title and description. New: `POST /api/courses`. Edit: `PATCH` against the
 * course's revision, with the same conflict handling as `LessonForm`.
 */
export function CourseForm({
  client,
  course,
  onSaved,
  onCancel,
  autoFocus = false,
}: {
  client: ServiceClient;
  /** The course to edit; none for a new one. */
  course?: CourseFields;
  onSaved: (course: CourseFields) => void;
  onCancel?: () => void;
  /** Opened by an Edit or Rename button: focus goes into the form, on its title. */
  autoFocus?: boolean;
}) {
  const idBase = useId();
  const form = useDetailsForm<CourseFields>({
    initial: { title: course?.title ?? "", description: course?.description ?? "" },
    revision: course?.revision ?? null,
    save: (fields, revision) =>
      course
        ? updateCourse(client, course.courseId, fields, revision)
        : createCourse(client, fields),
    onSaved,
    onCurrent: onSaved,
    autoFocus,
    latest: course ?? null,
  });
  const label = course ? (form.busy ? "Saving…" : "Save changes") : form.busy ? "Creating…" : "Create course";
  return (
    <form className="details-form" onSubmit={form.submit} noValidate data-testid="course-form">
      <NewerVersion
        what="course"
        shown={form.revision}
        revision={course?.revision}
        title={course?.title}
      />
      <DetailsFields
        idBase={idBase}
        what="course"
        draft={form.draft}
        onChange={form.setDraft}
        errors={form.errors}
        titleRef={form.titleRef}
        descriptionRef={form.descriptionRef}
      />
      <SaveProblems what="course" form={form} />
      <div className="form-actions">
        <button type="submit" className="button" disabled={form.busy}>
          {label}
        </button>
        {onCancel && (
          <button type="button" className="button button-secondary" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}
