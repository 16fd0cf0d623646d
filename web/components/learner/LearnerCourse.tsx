import Link from "next/link";

import { Thumbnail } from "@/components/Thumbnail";
import { LiveLearnerPage } from "@/components/learner/LiveLearnerPage";
import { Paragraphs } from "@/components/learner/Paragraphs";
import type { LearnerCourse as Course } from "@/lib/api/types";
import { formatDuration, spokenDuration } from "@/lib/format";
import { completedCount, continueAt, listingSignature, pagePath, watchable } from "@/lib/learner";

import "@/app/learner.css";

/** A course as a learner sees it, rendered on the server: every lesson they may watch, in
 * order, with its thumbnail, duration and description; signed in, what they completed and
 * where to continue. */
export function LearnerCourse({
  course,
  signedIn,
  preview = false,
}: {
  course: Course;
  signedIn: boolean;
  /** "Preview as a learner": read as anyone, once (not followed), its links to previews. */
  preview?: boolean;
}) {
  const lessons = watchable(course);
  const resume = signedIn ? continueAt(lessons) : null;
  const first = lessons[0];
  return (
    <LiveLearnerPage
      courseId={course.courseId}
      shown={listingSignature(course.title, course.lessons)}
      live={!preview}
    >
      <section className="course learner-course" data-testid="learner-course">
        <p className="crumbs">
          <Link href="/">← All courses</Link>
        </p>
        <h1>{course.title}</h1>
        <Paragraphs text={course.description} className="lead description" />
        {lessons.length > 0 && (
          <div className="course-progress">
            {signedIn && (
              <p data-testid="course-progress">
                {completedCount(lessons)} of {lessons.length} complete
              </p>
            )}
            {resume ? (
              <Link href={pagePath("lessons", resume.lesson.lessonId, preview)} className="button" data-testid="continue">
                {resume.started ? "Continue where you left off" : "Start the course"}
                <span className="visually-hidden">: «{resume.lesson.title}»</span>
              </Link>
            ) : (
              !signedIn &&
              first && (
                <Link href={pagePath("lessons", first.lessonId, preview)} className="button" data-testid="continue">
                  Start the course<span className="visually-hidden">: «{first.title}»</span>
                </Link>
              )
            )}
          </div>
        )}
        <h2 id="lessons-heading">Lessons</h2>
        {lessons.length === 0 ? (
          <p className="muted">No lessons are published yet.</p>
        ) : (
          <ol className="learner-lessons" data-testid="lesson-list" aria-labelledby="lessons-heading">
            {lessons.map((lesson, index) => {
              const duration = formatDuration(lesson.video.durationSeconds);
              const done = lesson.progress?.completed ?? false;
              return (
                <li key={lesson.lessonId} data-lesson={lesson.lessonId} className="learner-lesson-item">
                  <Link href={pagePath("lessons", lesson.lessonId, preview)} className="learner-lesson">
                    <Thumbnail url={lesson.video.thumbnailUrl} priority={index === 0} />
                    <span className="learner-lesson-text">
                      <span className="learner-number" aria-hidden="true">
                        {done ? "✓ " : ""}Lesson {index + 1}
                      </span>
                      <span className="lesson-title">{lesson.title}</span>
                      {done && <span className="visually-hidden"> (complete)</span>}
                      {duration && (
                        <span className="lesson-duration">
                          <span aria-hidden="true">{duration}</span>
                          <span className="visually-hidden">, {spokenDuration(lesson.video.durationSeconds)}</span>
                        </span>
                      )}
                    </span>
                  </Link>
                  <Paragraphs text={lesson.description} className="learner-lesson-description" />
                </li>
              );
            })}
          </ol>
        )}
      </section>
    </LiveLearnerPage>
  );
}
