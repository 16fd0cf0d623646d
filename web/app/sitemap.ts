import type { MetadataRoute } from "next";

import { readCatalog, readCourse } from "@/lib/api/rest";
import type { LearnerCourse, ServiceClient } from "@/lib/api/types";
import { readRuntimeConfig } from "@/lib/config";
import { watchable } from "@/lib/learner";
import { siteOrigin } from "@/lib/viewer";

// Read on every request, as anyone (never as the requester): what is public now.
export const dynamic = "force-dynamic";

/** Courses read at a time: the service's pool is shared with everyone else's requests. */
const READ_AT_ONCE = 8;

/** The catalog, every public course and each of its public lessons. */
export default async function sitemap(): Promise<MetadataRoute.Sitemap> {
  const origin = await siteOrigin();
  const config = readRuntimeConfig();
  const entries: MetadataRoute.Sitemap = [{ url: `${origin}/`, changeFrequency: "daily" }];
  if (!config.ok) return entries;
  const anyone: ServiceClient = { baseUrl: config.config.apiUrl, accessToken: null };
  const catalog = await readCatalog(anyone); // at most 200 courses
  const courses: (LearnerCourse | null)[] = [];
  for (let i = 0; i < catalog.length; i += READ_AT_ONCE) {
    const batch = catalog.slice(i, i + READ_AT_ONCE);
    courses.push(
      ...(await Promise.all(
        batch.map((c) => readCourse(anyone, c.courseId).catch(() => null)),
      )),
    );
  }
  for (const course of courses) {
    if (course === null) continue;
    entries.push({ url: `${origin}/courses/${course.courseId}`, lastModified: course.updatedAt });
    for (const lesson of watchable(course)) {
      entries.push({
        url: `${origin}/lessons/${lesson.lessonId}`,
        lastModified: lesson.video.statusChangedAt,
      });
    }
  }
  return entries;
}
