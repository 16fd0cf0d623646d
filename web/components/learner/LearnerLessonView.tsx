"use client";

import dynamic from "next/dynamic";
import Link from "next/link";
import { useCallback, useRef, useState } from "react";

import { Paragraphs } from "@/components/learner/Paragraphs";
import type { PlaybackEvents } from "@/components/learner/LearnerPlayer";
import type { LearnerCourse, Lesson, Progress } from "@/lib/api/types";
import { formatDuration, spokenDuration } from "@/lib/format";
import { useProgressSaver } from "@/lib/hooks/useProgressSaver";
import { useServiceClient } from "@/lib/hooks/useServiceClient";
import { pagePath, watchable } from "@/lib/learner";
import { ratioClass } from "@/lib/playback";

import "@/app/learner.css";

// Mux Player's code (about 300 KiB compressed) loads only once the learner presses play.
const LearnerPlayer = dynamic(() => import("@/components/learner/LearnerPlayer"), {
  ssr: false,
  loading: () => (
    <div className="player-placeholder" role="status">
      Loading the player…
    </div>
  ),
});

/** Resume from where the learner was, unless that was the very end (the last 5 s, or the
 * last 5% of a short video): then from the start. */
function resumeAt(progress: Progress | null | undefined, duration: number | null): number {
  if (!progress || progress.positionSeconds < 1) return 0;
  if (duration !== null && progress.positionSeconds >= Math.max(duration - 5, duration * 0.95)) {
    return 0;
  }
  return progress.positionSeconds;
}

/**
 * A learner's lesson page (rendered on the server with its data, then interactive): the video
 * behind a poster and a play button, "Mark complete", Previous and Next, the description, and
 * the course outline with the current lesson marked and what is complete ticked.
 */
export function LearnerLessonView({
  lesson,
  course,
  signedIn,
  preview = false,
}: {
  lesson: Lesson;
  course: LearnerCourse;
  signedIn: boolean;
  /** "Preview as a learner": its links lead to the previews of the lessons and course. */
  preview?: boolean;
}) {
  const lessons = watchable(course);
  const index = lessons.findIndex((l) => l.lessonId === lesson.lessonId);
  const previous = index > 0 ? lessons[index - 1] : null;
  const next = index >= 0 && index < lessons.length - 1 ? lessons[index + 1] : null;
  const initial = lessons[index]?.progress ?? null;
  const [progress, setProgress] = useState<Record<string, Progress | null | undefined>>(() =>
    Object.fromEntries(lessons.map((l) => [l.lessonId, l.progress])),
  );
  const [said, setSaid] = useState("");
  const [playing, setPlaying] = useState(false);
  const { client } = useServiceClient();
  const mine = progress[lesson.lessonId] ?? null;
  const completed = mine?.completed ?? false;
  const startAt = resumeAt(initial, lesson.video.durationSeconds);

  const store = useProgressSaver(client, lesson.lessonId, setSaid);
  const progressRef = useRef<Progress | null>(mine);
  const record = useCallback(
    (change: Partial<Progress>, leaving = false) => {
      const current = progressRef.current ?? { positionSeconds: 0, completed: false };
      const updated = { ...current, ...change };
      progressRef.current = updated;
      setProgress((all) => ({ ...all, [lesson.lessonId]: updated }));
      if (signedIn) store(updated, leaving);
      return updated;
    },
    [lesson.lessonId, signedIn, store],
  );

  const events: PlaybackEvents = {
    onPosition: (seconds, { leaving }) => record({ positionSeconds: seconds }, leaving),
    onEnded: (seconds) => {
      const was = progressRef.current?.completed;
      record({ positionSeconds: seconds, completed: true });
      if (!was) setSaid(`Finished «${lesson.title}»: marked complete.${next ? ` Next: «${next.title}».` : ""}`);
    },
  };

  const done = lessons.filter((l) => progress[l.lessonId]?.completed).length;
  const duration = formatDuration(lesson.video.durationSeconds);

  return (
    <article className="learner-page" data-testid="learner-lesson">
      <p className="crumbs">
        <Link href={pagePath("courses", course.courseId, preview)}>← {course.title}</Link>
      </p>
      <div className="learner-layout">
        <div className="learner-main">
          <h1 id="lesson-title">{lesson.title}</h1>
          <p className="muted lesson-meta">
            {index >= 0 && `Lesson ${index + 1} of ${lessons.length}`}
            {duration && (
              <>
                {" · "}
                <span aria-hidden="true">{duration}</span>
                <span className="visually-hidden">{spokenDuration(lesson.video.durationSeconds)}</span>
              </>
            )}
          </p>
          {playing ? (
            <LearnerPlayer video={lesson.video} title={lesson.title} startAt={startAt} events={events} />
          ) : (
            <button
              type="button"
              className={`player-facade ${ratioClass(lesson.video.aspectRatio)}`}
              data-testid="play"
              onClick={() => setPlaying(true)}
            >
              {lesson.video.thumbnailUrl && (
                // The poster is the page's largest image: loaded at once, not lazily.
                // eslint-disable-next-line @next/next/no-img-element
                <img src={lesson.video.thumbnailUrl} alt="" className="player-facade-poster" fetchPriority="high" />
              )}
              <span className="player-facade-button">
                <span aria-hidden="true" className="player-facade-icon">
                  ▶
                </span>
                <span>
                  {startAt > 0 ? `Resume from ${formatDuration(startAt)}` : "Play"}
                  <span className="visually-hidden"> «{lesson.title}»</span>
                </span>
              </span>
            </button>
          )}
          <div className="learner-actions">
            {signedIn ? (
              <button
                type="button"
                className={completed ? "button button-secondary" : "button"}
                aria-pressed={completed}
                data-testid="mark-complete"
                onClick={() => {
                  const updated = record({ completed: !completed });
                  setSaid(
                    updated.completed
                      ? `«${lesson.title}» is marked complete.`
                      : `«${lesson.title}» is no longer marked complete.`,
                  );
                }}
              >
                {completed ? "✓ Completed" : "Mark complete"}
              </button>
            ) : (
              <p className="muted">
                <Link href={`/sign-in?next=${encodeURIComponent(`/lessons/${lesson.lessonId}`)}`}>Sign in</Link>{" "}
                to keep your place and mark lessons complete.
              </p>
            )}
            <p className="live learner-said" role="status" aria-live="polite" data-testid="progress-said">
              {said}
            </p>
          </div>
          <nav className="prev-next" aria-label="Previous and next lesson">
            {previous ? (
              <Link href={pagePath("lessons", previous.lessonId, preview)} rel="prev" className="prev-link" data-testid="previous-lesson">
                <span className="muted">Previous</span> <span>{previous.title}</span>
              </Link>
            ) : (
              <span />
            )}
            {next ? (
              <Link href={pagePath("lessons", next.lessonId, preview)} rel="next" className="next-link" data-testid="next-lesson">
                <span className="muted">Next</span> <span>{next.title}</span>
              </Link>
            ) : (
              <Link href={pagePath("courses", course.courseId, preview)} className="next-link">
                <span className="muted">Last lesson</span> <span>Back to the course</span>
              </Link>
            )}
          </nav>
          <section aria-labelledby="about-heading" className="lesson-about">
            <h2 id="about-heading" className="visually-hidden">
              About this lesson
            </h2>
            <Paragraphs text={lesson.description} />
          </section>
        </div>
        <nav className="outline" aria-labelledby="outline-heading" data-testid="outline">
          <h2 id="outline-heading">{course.title}</h2>
          {signedIn && (
            <p className="muted" data-testid="outline-progress">
              {done} of {lessons.length} complete
            </p>
          )}
          <ol className="outline-list">
            {lessons.map((item, i) => {
              const current = item.lessonId === lesson.lessonId;
              const finished = progress[item.lessonId]?.completed ?? false;
              return (
                <li key={item.lessonId} className={current ? "outline-item current" : "outline-item"} data-lesson={item.lessonId}>
                  <Link href={pagePath("lessons", item.lessonId, preview)} aria-current={current ? "page" : undefined}>
                    <span className={finished ? "tick done" : "tick"} aria-hidden="true">
                      {finished ? "✓" : i + 1}
                    </span>
                    <span className="outline-title">
                      {item.title}
                      {finished && <span className="visually-hidden"> (complete)</span>}
                    </span>
                  </Link>
                  <Paragraphs text={item.description} className="outline-description" />
                </li>
              );
            })}
          </ol>
        </nav>
      </div>
    </article>
  );
}
