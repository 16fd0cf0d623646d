import type { Metadata } from "next";

import { AuthorCourse } from "@/components/AuthorPages";
import { LearnerCourse } from "@/components/learner/LearnerCourse";
import { PageFailure } from "@/components/learner/PageFailure";
import { RouteNotFound } from "@/components/learner/RouteNotFound";
import { watchable } from "@/lib/learner";
import { courseSummary, loadCourse, pageMetadata } from "@/lib/learnerPages";

type Params = { params: Promise<{ courseId: string }> };

export async function generateMetadata({ params }: Params): Promise<Metadata> {
  const { courseId } = await params;
  const loaded = await loadCourse(courseId);
  if (loaded.state !== "ready" || loaded.value.editable) return {}; // titled by what renders
  const course = loaded.value;
  return pageMetadata({
    title: course.title,
    description: courseSummary(course),
    path: `/courses/${course.courseId}`,
    image: watchable(course)[0]?.video.thumbnailUrl ?? null,
  });
}

/** Its owner: the course workspace (client-rendered, live). Anyone else: the course as the
 * service shows it to them, rendered on the server; a course they may not see is a 404
 * (its status set by proxy.ts). */
export default async function CoursePage({ params }: Params) {
  const { courseId } = await params;
  const loaded = await loadCourse(courseId);
  // Not thrown with notFound(): Next.js would send that as an empty shell (proxy.ts).
  if (loaded.state === "not-found") return <RouteNotFound what="Course" />;
  if (loaded.state === "failed") return <PageFailure what="Course" error={loaded.error} />;
  if (loaded.value.editable) return <AuthorCourse courseId={courseId} />;
  return <LearnerCourse course={loaded.value} signedIn={loaded.viewer.userId !== null} />;
}
