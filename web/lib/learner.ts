/**
 * The small rules a learner's pages share: what they show of a course and its lessons (the
 * signed-in learner's progress arrives with the course, `lib/api/types.ts`; it is saved with
 * `saveProgress`, `lib/api/rest.ts`), descriptions, summaries and links.
 */

import type { LearnerCourse, LearnerLesson } from "@/lib/api/types";

/** The lessons a learner sees: those with a published video, in order. */
export function watchable(course: LearnerCourse): LearnerLesson[] {
  return course.lessons.filter((lesson) => lesson.video.status === "published");
}

/** Where "Continue" takes a learner: the first lesson begun and not finished, else the first
 * not finished; null when every lesson is complete. `started` says whether anything was. */
export function continueAt(
  lessons: LearnerLesson[],
): { lesson: LearnerLesson; started: boolean } | null {
  const begun = lessons.find((l) => l.progress && !l.progress.completed && l.progress.positionSeconds > 0);
  if (begun) return { lesson: begun, started: true };
  const next = lessons.find((l) => !l.progress?.completed);
  if (!next) return null;
  return { lesson: next, started: lessons.some((l) => l.progress) };
}

export function completedCount(lessons: LearnerLesson[]): number {
  return lessons.filter((lesson) => lesson.progress?.completed).length;
}

/** A description's paragraphs (a blank line between two), each a list of lines: shown as
 * `<p>` and `<br>`, never as HTML. */
export function paragraphsOf(text: string | null | undefined): string[][] {
  if (!text) return [];
  return text
    .replace(/\r\n?/g, "\n")
    .split(/\n\s*\n/)
    .map((block) => block.split("\n").map((line) => line.trimEnd()))
    .filter((lines) => lines.some((line) => line.trim() !== ""));
}

/** One line for a meta description: the text's first 160 characters, on a word boundary. */
export function summaryOf(text: string | null | undefined, fallback: string): string {
  const flat = (text ?? "").replace(/\s+/g, " ").trim();
  if (!flat) return fallback;
  if (flat.length <= 160) return flat;
  const cut = flat.slice(0, 157);
  return `${cut.slice(0, Math.max(cut.lastIndexOf(" "), 120))}…`;
}

/** What a learner's page shows of a course's listing (its title, lessons and their order),
 * to compare the page's data with the course stream's `lessons` events. */
export function listingSignature(
  title: string,
  lessons: ReadonlyArray<{ lessonId: string; title: string; position: number | null }>,
): string {
  return JSON.stringify([title, lessons.map((l) => [l.lessonId, l.title, l.position])]);
}

/** Where a learner page's links to a lesson or course lead: its learner page, or in "Preview
 * as a learner" its preview (an author previewing stays in the preview). */
export function pagePath(kind: "lessons" | "courses", id: string, preview = false): string {
  return `/${kind}/${id}${preview ? "/preview" : ""}`;
}
