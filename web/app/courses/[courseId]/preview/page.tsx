import type { Metadata } from "next";

import { PreviewBanner } from "@/components/PreviewBanner";
import { NotFound } from "@/components/NotFound";
import { LearnerCourse } from "@/components/learner/LearnerCourse";
import { PageFailure } from "@/components/learner/PageFailure";
import { APP_NAME } from "@/lib/appName";
import { loadCourse } from "@/lib/learnerPages";

export async function generateMetadata({
  params,
}: {
  params: Promise<{ courseId: string }>;
}): Promise<Metadata> {
  const { courseId } = await params;
  const loaded = await loadCourse(courseId, "anyone");
  const name = loaded.state === "ready" ? loaded.value.title : "Course not found";
  return { title: `Preview: ${name} — ${APP_NAME}`, robots: { index: false } };
}

/** "Preview as a learner": the course's learner page exactly as anyone gets it (read from the
 * service with no session), for its author, who stays signed in. */
export default async function CoursePreviewPage({
  params,
}: {
  params: Promise<{ courseId: string }>;
}) {
  const { courseId } = await params;
  const back = `/courses/${courseId}`;
  const loaded = await loadCourse(courseId, "anyone");
  return (
    <>
      <PreviewBanner back={back} />
      {loaded.state === "not-found" ? (
        <NotFound what="Course" signedIn next={back} preview />
      ) : loaded.state === "failed" ? (
        <PageFailure what="Course" error={loaded.error} />
      ) : (
        <LearnerCourse course={loaded.value} signedIn={false} preview />
      )}
    </>
  );
}
