"use client";

import Link from "next/link";

import { ConnectionNotice } from "@/components/ConnectionNotice";
import { LoadFailure } from "@/components/LoadFailure";
import { NotFound } from "@/components/NotFound";
import { StatusBadge } from "@/components/StatusBadge";
import { useLiveCourse } from "@/lib/useLiveCourse";
import { useServiceClient } from "@/lib/useServiceClient";

/** A course's lessons, each with a live status badge: one course stream for all of them. */
export function CourseView({ courseId }: { courseId: string }) {
  const { client, session } = useServiceClient();
  const { listing, videos, connection, failure } = useLiveCourse(client, courseId);

  if (failure?.status === 404) {
    return (
      <NotFound what="Course" signedIn={session.status === "signed-in"} next={`/courses/${courseId}`} />
    );
  }
  if (failure) return <LoadFailure error={failure} retrying={false} />;
  if (client === null || listing === null) {
    return (
      <>
        <p className="muted">Loading course…</p>
        {connection === "reconnecting" && <ConnectionNotice connection={connection} />}
      </>
    );
  }
  return (
    <section>
      <h1>{listing.title}</h1>
      <ConnectionNotice connection={connection} />
      {listing.lessons.length === 0 ? (
        <p className="muted">No lessons yet.</p>
      ) : (
        <ol className="lessons">
          {listing.lessons.map((lesson) => {
            const video = videos[lesson.lessonId];
            return (
              <li key={lesson.lessonId} className="lesson-row" data-lesson={lesson.lessonId}>
                <Link href={`/lessons/${lesson.lessonId}`}>{lesson.title}</Link>
                {video ? <StatusBadge status={video.status} /> : <span className="muted">…</span>}
              </li>
            );
          })}
        </ol>
      )}
    </section>
  );
}
