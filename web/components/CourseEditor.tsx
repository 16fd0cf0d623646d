"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useCallback, useEffect, useRef, useState } from "react";

import { ConfirmDeleteCourse } from "@/components/ConfirmDeleteCourse";
import { ConnectionNotice } from "@/components/ConnectionNotice";
import { CourseForm } from "@/components/CourseForm";
import { LearnerPageInstead } from "@/components/LearnerPageInstead";
import { PreviewLink } from "@/components/PreviewLink";
import { LessonForm } from "@/components/LessonForm";
import { LessonList } from "@/components/LessonList";
import { LoadState } from "@/components/LoadFailure";
import { NotFound } from "@/components/NotFound";
import { NotificationToggle } from "@/components/NotificationToggle";
import { PageTitle } from "@/components/PageTitle";
import { PublishControl } from "@/components/PublishControl";
import { readCourse } from "@/lib/api/rest";
import type { Course, CourseFields, ServiceClient } from "@/lib/api/types";
import { useAnnounce } from "@/lib/hooks/useAnnounce";
import { currentFields, currentLessons, useLiveCourse } from "@/lib/hooks/useLiveCourse";
import { useLoaded } from "@/lib/hooks/useLoaded";
import { useServiceClient } from "@/lib/hooks/useServiceClient";

/** The author's course page (client-rendered, live): the course workspace. Learners get the
 * server-rendered page of components/learner/ instead. */
export function CourseEditor({
  courseId,
}: {
  courseId: string;
}) {
  const { client, session } = useServiceClient();
  const load = useCallback((c: ServiceClient) => readCourse(c, courseId), [courseId]);
  const course = useLoaded(client, load);

  if (course.state === "failed" && course.error.status === 404) {
    return (
      <NotFound
        what="Course"
        signedIn={session.status === "signed-in"}
        next={`/courses/${courseId}`}
      />
    );
  }
  const ready = client !== null && course.state === "ready";
  if (ready && !course.value.editable) return <LearnerPageInstead what="the course" />;
  return (
    <>
      {!ready && <PageTitle title="Course" />}
      <LoadState
        what="the course"
        loading={!ready}
        error={course.state === "failed" ? course.error : null}
        retrying={course.state === "failed" && course.retrying}
      />
      {ready && <CourseWorkspace key={courseId} client={client} course={course.value} />}
    </>
  );
}

/** The owner's course page: the lessons with live status, reordering, adding, deleting. */
function CourseWorkspace({ client, course }: { client: ServiceClient; course: Course }) {
  const live = useLiveCourse(client, course.courseId);
  const router = useRouter();
  const announce = useAnnounce();
  const [own, setFields] = useState<CourseFields>(course);
  // Renamed or described in another tab: shown at once (`event: course`); a form being edited
  // keeps what the author typed and says a newer version exists.
  const fields = currentFields(live, own);
  const [editing, setEditing] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const editButton = useRef<HTMLButtonElement>(null);
  const deleteButton = useRef<HTMLButtonElement>(null);
  const refocus = useRef<"edit" | "delete" | null>(null);

  useEffect(() => {
    if (editing || deleting || refocus.current === null) return;
    (refocus.current === "edit" ? editButton : deleteButton).current?.focus();
    refocus.current = null;
  }, [editing, deleting]);

  if (live.failure?.status === 404) {
    return <NotFound what="Course" signedIn next={`/courses/${course.courseId}`} />;
  }

  const { lessons, videos } = currentLessons(live, course);

  return (
    <section className="course" data-testid="course-workspace">
      <PageTitle title={fields.title} />
      <p className="crumbs">
        <Link href="/">← Your courses</Link>
      </p>
      <header className="page-header">
        <div className="page-header-text">
          <h1>{fields.title}</h1>
          {fields.description && <p className="lead">{fields.description}</p>}
        </div>
        {!editing && !deleting && (
          <div className="page-actions">
            <PublishControl
              client={client}
              what="course"
              id={fields.courseId}
              title={fields.title}
              visibility={fields.visibility}
              onChanged={(visibility) => setFields((now) => ({ ...now, visibility }))}
            />
            <PreviewLink href={`/courses/${fields.courseId}/preview`} what="course" />
            <button
              type="button"
              className="button button-secondary"
              ref={editButton}
              onClick={() => setEditing(true)}
            >
              Edit course
            </button>
            <button
              type="button"
              className="button button-secondary"
              ref={deleteButton}
              onClick={() => setDeleting(true)}
            >
              Delete course
            </button>
          </div>
        )}
      </header>
      {editing && (
        <div className="panel">
          <h2>Edit the course</h2>
          <CourseForm
            client={client}
            course={fields}
            autoFocus
            onSaved={(saved) => {
              setFields(saved);
              setEditing(false);
              refocus.current = "edit";
              announce(`Saved «${saved.title}».`);
            }}
            onCancel={() => {
              setEditing(false);
              refocus.current = "edit";
            }}
          />
        </div>
      )}
      {deleting && (
        <ConfirmDeleteCourse
          client={client}
          course={fields}
          lessonCount={lessons.length}
          className="panel"
          onDeleted={(said) => {
            announce(said, { path: "/" });
            router.push("/");
          }}
          onKeep={() => {
            setDeleting(false);
            refocus.current = "delete";
          }}
        />
      )}
      <ConnectionNotice connection={live.connection} />
      <section aria-labelledby="lessons-heading" className="lessons-section">
        <h2 id="lessons-heading">Lessons</h2>
        <LessonList
          client={client}
          courseId={fields.courseId}
          lessons={lessons}
          videos={videos}
          courseVisibility={fields.visibility}
        />
      </section>
      <section aria-labelledby="add-lesson-heading" className="panel">
        <h2 id="add-lesson-heading">Add a lesson</h2>
        <LessonForm mode="new" client={client} courseId={fields.courseId} />
      </section>
      <NotificationToggle />
    </section>
  );
}
