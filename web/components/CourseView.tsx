"use client";

import Link from "next/link";
import { useCallback } from "react";

import { LoadFailure } from "@/components/LoadFailure";
import { NotFound } from "@/components/NotFound";
import { StatusBadge } from "@/components/StatusBadge";
import { readCourse, type Lesson, type ServiceClient } from "@/lib/api";
import { useLiveVideo } from "@/lib/useLiveVideo";
import { useLoaded } from "@/lib/useLoaded";
import { useServiceClient } from "@/lib/useServiceClient";

/** A course's lessons, each with a live status badge. */
export function CourseView({ courseId }: { courseId: string }) {
  const { client, session } = useServiceClient();
  const load = useCallback((c: ServiceClient) => readCourse(c, courseId), [courseId]);
  const course = useLoaded(client, load);

  if (client === null || course.state === "loading") {
    return <p className="muted">Loading course…</p>;
  }
  if (course.state === "failed") {
    if (course.error.status === 404) {
      return (
        <NotFound
          what="Course"
          signedIn={session.status === "signed-in"}
          next={`/courses/${courseId}`}
        />
      );
    }
    return <LoadFailure error={course.error} retrying={course.retrying} />;
  }
  const { title, lessons } = course.value;
  return (
    <section>
      <h1>{title}</h1>
      {lessons.length === 0 ? (
        <p className="muted">No lessons yet.</p>
      ) : (
        <ol className="lessons">
          {lessons.map((lesson) => (
            <LessonRow key={lesson.lessonId} client={client} lesson={lesson} />
          ))}
        </ol>
      )}
    </section>
  );
}

function LessonRow({ client, lesson }: { client: ServiceClient; lesson: Lesson }) {
  const { video } = useLiveVideo(client, lesson.lessonId, lesson.video);
  return (
    <li className="lesson-row" data-lesson={lesson.lessonId}>
      <Link href={`/lessons/${lesson.lessonId}`}>{lesson.title}</Link>
      <StatusBadge status={(video ?? lesson.video).status} />
    </li>
  );
}
