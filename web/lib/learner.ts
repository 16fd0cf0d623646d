/**
 * What a learner's pages read and write beyond the author's API: the signed-in learner's
 * progress in each lesson (`GET /api/courses/{id}` carries it per lesson) and
 * `PUT /api/lessons/{id}/progress`, plus the small rules the pages share.
 */

import { ApiError, UNREACHABLE } from "@/lib/api/apiError";
import type { Course, Lesson, ServiceClient } from "@/lib/api/types";

export interface Progress {
  positionSeconds: number;
  completed: boolean;
}

/** A lesson as the course JSON gives it to a signed-in learner: with their progress. */
export interface LearnerLesson extends Lesson {
  progress?: Progress | null;
}

export interface LearnerCourse extends Course {
  lessons: LearnerLesson[];
}

/** The lessons a learner sees: those with a published video, in order. */
export function watchable(course: LearnerCourse): LearnerLesson[] {
  return course.lessons.filter((lesson) => lesson.video.status === "published");
}

/** `PUT /api/lessons/{id}/progress`. `keepalive` lets it finish while the page is left. */
export async function saveProgress(
  client: ServiceClient,
  lessonId: string,
  progress: Progress,
  { keepalive = false }: { keepalive?: boolean } = {},
): Promise<void> {
  let response: Response;
  try {
    response = await fetch(`${client.baseUrl}/api/lessons/${encodeURIComponent(lessonId)}/progress`, {
      method: "PUT",
      headers: {
        "Content-Type": "application/json",
        ...(client.accessToken ? { Authorization: `Bearer ${client.accessToken}` } : {}),
      },
      body: JSON.stringify(progress),
      keepalive,
      cache: "no-store",
    });
  } catch {
    throw new ApiError(0, UNREACHABLE, "Your place could not be saved: the lesson service cannot be reached.");
  }
  if (!response.ok) {
    let message = `Your place could not be saved (the service answered ${response.status}).`;
    try {
      const body = (await response.json()) as { error?: { message?: string; code?: string } };
      if (body.error?.message) message = `Your place could not be saved: ${body.error.message}`;
    } catch {
      // not JSON
    }
    throw new ApiError(response.status, `http_${response.status}`, message);
  }
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
