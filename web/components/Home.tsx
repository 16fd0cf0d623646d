"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useCallback, useEffect, useRef, useState } from "react";

import { CatalogGrid } from "@/components/CatalogGrid";
import { CatalogIntro } from "@/components/CatalogIntro";
import { ConfirmDeleteCourse } from "@/components/ConfirmDeleteCourse";
import { CourseForm } from "@/components/CourseForm";
import { LoadState } from "@/components/LoadFailure";
import { NotificationToggle } from "@/components/NotificationToggle";
import { PageTitle } from "@/components/PageTitle";
import { INTERRUPTED_LABEL, STATUS_LABELS } from "@/components/StatusBadge";
import { PublicSummary } from "@/components/VisibilityBadge";
import { listCourses, readCatalog } from "@/lib/api/rest";
import type { CourseSummary, ServiceClient, VideoStatus } from "@/lib/api/types";
import { plural } from "@/lib/format";
import {
  useCurrentCourse,
  useUploadingLessons,
  useVideoChanges,
} from "@/lib/hooks/authorActivity";
import { useAnnounce } from "@/lib/hooks/useAnnounce";
import { useLoaded } from "@/lib/hooks/useLoaded";
import { useNotSentHere } from "@/lib/hooks/useSendingHere";
import { useServiceClient } from "@/lib/hooks/useServiceClient";

/** The home page: an author's courses (and the catalog); signed out, the catalog. */
export function Home() {
  const { client, session } = useServiceClient();
  if (client === null || session.status === "loading") {
    return (
      <>
        <PageTitle title={null} />
        <LoadState what="courses" loading error={null} />
      </>
    );
  }
  if (session.status === "signed-in") {
    return (
      <>
        <PageTitle title="Your courses" />
        <YourCourses client={client} />
        <Catalog client={client} />
      </>
    );
  }
  return (
    <>
      <PageTitle title="Courses" />
      <CatalogIntro />
      <Catalog client={client} />
    </>
  );
}

const SHOWN_STATUSES: VideoStatus[] = [
  "published",
  "processing",
  "uploading",
  "errored",
  "cancelled",
  "draft",
];

/** `interrupted`: of the course's uploading lessons, those no tab of this browser is sending
 * (counted apart: "1 upload interrupted"). */
function statusSummary(course: CourseSummary, interrupted = 0): string {
  if (course.lessonCount === 0) return "No lessons yet";
  const counts = { ...course.lessonsByStatus };
  const stopped = Math.min(interrupted, counts.uploading);
  counts.uploading -= stopped;
  const parts = SHOWN_STATUSES.filter((status) => counts[status] > 0).map(
    (status) =>
      `${counts[status]} ${
        status === "draft"
          ? "without a video yet"
          : status === "published"
            ? "ready"
            : STATUS_LABELS[status].toLowerCase()
      }`,
  );
  if (stopped > 0) {
    parts.push(`${stopped} ${INTERRUPTED_LABEL.toLowerCase()}`);
  }
  return `${plural(course.lessonCount, "lesson")}: ${parts.join(", ")}`;
}

/** The author's own courses: create, open, rename, delete. */
function YourCourses({ client }: { client: ServiceClient }) {
  const router = useRouter();
  const announce = useAnnounce();
  const [version, setVersion] = useState(0);
  // Counts by status stay current: the list is read again when a lesson changes anywhere.
  const changes = useVideoChanges();
  const load = useCallback(
    (c: ServiceClient) => {
      void version; // a new version, or a change, loads the list again
      void changes;
      return listCourses(c);
    },
    [version, changes],
  );
  const loaded = useLoaded(client, load);
  const reload = () => setVersion((n) => n + 1);

  return (
    <section aria-labelledby="your-courses" className="your-courses">
      <h1 id="your-courses" tabIndex={-1}>
        Your courses
      </h1>
      <LoadState
        what="your courses"
        loading={loaded.state === "loading"}
        error={loaded.state === "failed" ? loaded.error : null}
        retrying={loaded.state === "failed" && loaded.retrying}
      />
      {loaded.state === "ready" &&
        (loaded.value.length === 0 ? (
          <p className="muted" data-testid="no-courses">
            You have no courses yet. Create your first one below.
          </p>
        ) : (
          <ul className="course-list" data-testid="course-list">
            {loaded.value.map((course) => (
              <CourseRow key={course.courseId} client={client} course={course} onChanged={reload} />
            ))}
          </ul>
        ))}
      <section aria-labelledby="new-course" className="panel">
        <h2 id="new-course">New course</h2>
        <CourseForm
          client={client}
          onSaved={(course) => {
            announce(`Course «${course.title}» created. Add its first lesson.`, {
              path: `/courses/${course.courseId}`,
            });
            router.push(`/courses/${course.courseId}`);
          }}
        />
      </section>
      <NotificationToggle />
    </section>
  );
}

function CourseRow({
  client,
  course: listed,
  onChanged,
}: {
  client: ServiceClient;
  course: CourseSummary;
  onChanged: () => void;
}) {
  // Renamed or described in another tab: shown at once, before the list is read again.
  const course = useCurrentCourse(listed);
  const announce = useAnnounce();
  const [mode, setMode] = useState<"view" | "rename" | "delete">("view");
  const renameButton = useRef<HTMLButtonElement>(null);
  const deleteButton = useRef<HTMLButtonElement>(null);
  const back = useRef<"rename" | "delete" | null>(null);
  const interrupted = useNotSentHere(
    useUploadingLessons()
      .filter((lesson) => lesson.courseId === course.courseId)
      .map((lesson) => lesson.lessonId),
  );

  useEffect(() => {
    if (mode === "view" && back.current) {
      (back.current === "rename" ? renameButton : deleteButton).current?.focus();
      back.current = null;
    }
  }, [mode]);

  const close = (from: "rename" | "delete") => {
    back.current = from;
    setMode("view");
  };

  return (
    <li className="course-row panel" data-course={course.courseId}>
      <div className="course-row-main">
        <div className="course-row-text">
          <h2 className="course-row-title">
            <Link href={`/courses/${course.courseId}`}>{course.title}</Link>
          </h2>
          {course.description && <p className="course-row-description">{course.description}</p>}
          <p className="muted" data-testid="course-counts">
            {statusSummary(course, interrupted.length)}
          </p>
          <PublicSummary
            visibility={course.visibility}
            publicLessons={course.publicLessons}
            lessonCount={course.lessonCount}
          />
        </div>
        {mode === "view" && (
          <div className="row-actions">
            <Link href={`/courses/${course.courseId}`} className="button button-small">
              Open<span className="visually-hidden"> «{course.title}»</span>
            </Link>
            <button
              type="button"
              className="button button-secondary button-small"
              ref={renameButton}
              aria-label={`Rename «${course.title}»`}
              onClick={() => setMode("rename")}
            >
              Rename
            </button>
            <button
              type="button"
              className="button button-secondary button-small"
              ref={deleteButton}
              aria-label={`Delete «${course.title}»`}
              onClick={() => setMode("delete")}
            >
              Delete
            </button>
          </div>
        )}
      </div>
      {mode === "rename" && (
        <div className="row-panel">
          <CourseForm
            client={client}
            course={course}
            autoFocus
            onSaved={(saved) => {
              announce(`Saved «${saved.title}».`);
              close("rename");
              onChanged();
            }}
            onCancel={() => close("rename")}
          />
        </div>
      )}
      {mode === "delete" && (
        <ConfirmDeleteCourse
          client={client}
          course={course}
          lessonCount={course.lessonCount}
          className="row-panel"
          onDeleted={(said) => {
            announce(said);
            document.getElementById("your-courses")?.focus();
            onChanged();
          }}
          onKeep={() => close("delete")}
        />
      )}
    </li>
  );
}

/** Courses anyone may watch, each with its first published lesson's thumbnail. */
function Catalog({ client }: { client: ServiceClient }) {
  // An author's own course appears here once a lesson of theirs is published (others' courses
  // are not followed live: a signed-out visitor has no stream).
  const changes = useVideoChanges();
  const load = useCallback(
    (c: ServiceClient) => {
      void changes;
      return readCatalog(c);
    },
    [changes],
  );
  const loaded = useLoaded(client, load);
  return (
    <section aria-labelledby="catalog-heading" className="catalog">
      <h2 id="catalog-heading">Published courses</h2>
      <LoadState
        what="the courses"
        loading={loaded.state === "loading"}
        error={loaded.state === "failed" ? loaded.error : null}
        retrying={loaded.state === "failed" && loaded.retrying}
      />
      {loaded.state === "ready" && <CatalogGrid courses={loaded.value} />}
    </section>
  );
}
