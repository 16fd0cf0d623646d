"use client";

import { useEffect, useRef, useState } from "react";

import { LiveRegion } from "@/components/LiveRegion";
import { deleteCourse } from "@/lib/api/rest";
import type { ServiceClient } from "@/lib/api/types";
import { describeError } from "@/lib/describeError";
import { plural } from "@/lib/format";

/**
 * "Delete «course»?": the question (focused when it opens) says the lessons' videos at Mux go
 * too; deleting it says what went (`onDeleted` gets the sentence to announce), "Keep it" closes
 * it, and a failure is said here.
 */
export function ConfirmDeleteCourse({
  client,
  course,
  lessonCount,
  className,
  onDeleted,
  onKeep,
}: {
  client: ServiceClient;
  course: { courseId: string; title: string };
  lessonCount: number;
  className: string;
  onDeleted: (said: string) => void;
  onKeep: () => void;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const question = useRef<HTMLParagraphElement>(null);

  useEffect(() => {
    question.current?.focus();
  }, []);

  async function remove() {
    setBusy(true);
    setError(null);
    try {
      const answer = await deleteCourse(client, course.courseId);
      onDeleted(
        `Deleted «${course.title}» and ${plural(answer.lessonsDeleted, "lesson")}; their videos are being deleted at Mux.`,
      );
    } catch (failure) {
      setError(describeError(failure));
      setBusy(false);
    }
  }

  return (
    <>
      <div className={`confirm ${className}`} data-testid="confirm-delete-course">
        <p tabIndex={-1} ref={question}>
          Delete «{course.title}»
          {lessonCount > 0 ? ` and its ${plural(lessonCount, "lesson")}` : ""}?
          {lessonCount > 0 ? " Their videos are deleted at Mux too." : ""} This cannot be undone.
        </p>
        <div className="form-actions">
          <button type="button" className="button button-danger" disabled={busy} onClick={remove}>
            Delete the course
          </button>
          <button type="button" className="button button-secondary" onClick={onKeep}>
            Keep it
          </button>
        </div>
      </div>
      <LiveRegion urgent>{error && <p className="notice notice-error">{error}</p>}</LiveRegion>
    </>
  );
}
