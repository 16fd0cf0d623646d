import type { Metadata } from "next";

import { PreviewBanner } from "@/components/PreviewBanner";
import { NotFound } from "@/components/NotFound";
import { LearnerLessonView } from "@/components/learner/LearnerLessonView";
import { PageFailure } from "@/components/learner/PageFailure";
import { APP_NAME } from "@/lib/appName";
import { loadLesson } from "@/lib/learnerPages";

export async function generateMetadata({
  params,
}: {
  params: Promise<{ lessonId: string }>;
}): Promise<Metadata> {
  const { lessonId } = await params;
  const loaded = await loadLesson(lessonId, "anyone");
  const name =
    loaded.state === "ready" && loaded.value.course ? loaded.value.lesson.title : "Lesson not found";
  return { title: `Preview: ${name} — ${APP_NAME}`, robots: { index: false } };
}

/** "Preview as a learner": the lesson's learner page (its outline, next and previous) exactly
 * as anyone gets it (read from the service with no session), for its author, who stays
 * signed in. */
export default async function LessonPreviewPage({
  params,
}: {
  params: Promise<{ lessonId: string }>;
}) {
  const { lessonId } = await params;
  const back = `/lessons/${lessonId}`;
  const loaded = await loadLesson(lessonId, "anyone");
  const course = loaded.state === "ready" ? loaded.value.course : null;
  return (
    <>
      <PreviewBanner back={back} />
      {loaded.state === "failed" ? (
        <PageFailure what="Lesson" error={loaded.error} />
      ) : loaded.state === "ready" && course !== null ? (
        <LearnerLessonView
          lesson={loaded.value.lesson}
          course={course}
          signedIn={false}
          preview
        />
      ) : (
        <NotFound what="Lesson" signedIn next={back} preview />
      )}
    </>
  );
}
