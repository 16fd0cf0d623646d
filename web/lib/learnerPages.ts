import type { Metadata } from "next";
import { cache } from "react";

import { ApiError } from "@/lib/api/apiError";
import { readCatalog, readCourse, readLesson } from "@/lib/api/rest";
import type { CatalogCourse, LearnerCourse, LessonDetail } from "@/lib/api/types";
import { APP_NAME } from "@/lib/appName";
import { summaryOf, watchable } from "@/lib/learner";
import { anonymousViewer, currentViewer, siteOrigin, type Viewer } from "@/lib/viewer";

/**
 * What the server-rendered pages read, always from the service as the viewer (so the service
 * and RLS decide what exists for them; these pages never decide visibility themselves), once
 * per request (React's `cache`: the page and its metadata share it), never stored across
 * requests: a lesson unpublished or deleted is gone on the next request.
 */

export type Loaded<T> =
  | { state: "ready"; value: T; viewer: Viewer }
  | { state: "not-found" }
  | { state: "failed"; error: ApiError };

/** Whose eyes a page is read with: the request's viewer, or (a preview) anyone's. */
export type ReadAs = "viewer" | "anyone";

async function load<T>(
  read: (viewer: Viewer) => Promise<T>,
  as: ReadAs = "viewer",
): Promise<Loaded<T>> {
  const viewer = as === "anyone" ? anonymousViewer() : await currentViewer();
  if (viewer === null) {
    return { state: "failed", error: new ApiError(0, "not_configured", "This app is not configured.") };
  }
  try {
    return { state: "ready", value: await read(viewer), viewer };
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return { state: "not-found" };
    if (error instanceof ApiError) return { state: "failed", error };
    throw error;
  }
}

export const loadCatalog = cache(() => load<CatalogCourse[]>((v) => readCatalog(v.client)));

export const loadCourse = cache((courseId: string, as: ReadAs = "viewer") =>
  load<LearnerCourse>((v) => readCourse(v.client, courseId), as),
);

export const loadLesson = cache((lessonId: string, as: ReadAs = "viewer") =>
  load<{ lesson: LessonDetail; course: LearnerCourse | null }>(async (v) => {
    const lesson = await readLesson(v.client, lessonId);
    if (lesson.editable) return { lesson, course: null }; // the author's editor reads the rest
    const course = await readCourse(v.client, lesson.courseId);
    return { lesson, course };
  }, as),
);

/** Title, description, canonical URL and Open Graph tags for a public page. */
export async function pageMetadata({
  title,
  description,
  path,
  image,
  type = "website",
}: {
  title: string;
  description: string;
  path: string;
  image: string | null;
  type?: "website" | "article";
}): Promise<Metadata> {
  const origin = await siteOrigin();
  return {
    metadataBase: new URL(origin),
    title: `${title} — ${APP_NAME}`,
    description,
    alternates: { canonical: path },
    openGraph: {
      title,
      description,
      url: path,
      siteName: APP_NAME,
      type,
      ...(image ? { images: [{ url: image }] } : {}),
    },
    twitter: { card: image ? "summary_large_image" : "summary", title, description },
  };
}

export function courseSummary(course: LearnerCourse): string {
  const count = watchable(course).length;
  return summaryOf(course.description, `A course of ${count} video lesson${count === 1 ? "" : "s"}.`);
}
