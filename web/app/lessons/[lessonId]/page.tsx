import type { Metadata } from "next";

import { AuthorLesson } from "@/components/AuthorPages";
import { LearnerLessonView } from "@/components/learner/LearnerLessonView";
import { LiveLearnerPage } from "@/components/learner/LiveLearnerPage";
import { PageFailure } from "@/components/learner/PageFailure";
import { RouteNotFound } from "@/components/learner/RouteNotFound";
import { listingSignature, summaryOf } from "@/lib/learner";
import { loadLesson, pageMetadata } from "@/lib/learnerPages";

type Params = { params: Promise<{ lessonId: string }> };

export async function generateMetadata({ params }: Params): Promise<Metadata> {
  const { lessonId } = await params;
  const loaded = await loadLesson(lessonId);
  if (loaded.state !== "ready" || loaded.value.course === null) return {};
  const { lesson, course } = loaded.value;
  return pageMetadata({
    title: lesson.title,
    description: summaryOf(lesson.description, `A video lesson of «${course.title}».`),
    path: `/lessons/${lesson.lessonId}`,
    image: lesson.video.thumbnailUrl,
    type: "article",
  });
}

/** Its author: the lesson editor (client-rendered, live). Anyone else: the lesson as the
 * service shows it to them, with its course's outline, rendered on the server; a lesson they
 * may not see is a 404
 * (its status set by proxy.ts). */
export default async function LessonPage({ params }: Params) {
  const { lessonId } = await params;
  const loaded = await loadLesson(lessonId);
  // Not thrown with notFound(): Next.js would send that as an empty shell (proxy.ts).
  if (loaded.state === "not-found") return <RouteNotFound what="Lesson" />;
  if (loaded.state === "failed") return <PageFailure what="Lesson" error={loaded.error} />;
  const { lesson, course } = loaded.value;
  if (course === null) return <AuthorLesson lessonId={lessonId} />;
  return (
    <LiveLearnerPage
      courseId={course.courseId}
      lessonId={lesson.lessonId}
      shown={listingSignature(course.title, course.lessons)}
    >
      <LearnerLessonView
        key={lesson.lessonId}
        lesson={lesson}
        course={course}
        signedIn={loaded.viewer.userId !== null}
      />
    </LiveLearnerPage>
  );
}
