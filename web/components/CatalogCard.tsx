import Link from "next/link";

import { Thumbnail } from "@/components/Thumbnail";
import type { CatalogCourse } from "@/lib/api/types";
import { plural } from "@/lib/format";

/** One published course in a catalog grid: its first lesson's thumbnail, title, description
 * and lesson count, the whole card linking to the course. The server-rendered catalog and an
 * author's home page both list courses so. `priority`: a thumbnail seen at once (the first
 * row) loads before the page is idle. */
export function CatalogCard({
  course,
  priority = false,
}: {
  course: CatalogCourse;
  priority?: boolean;
}) {
  return (
    <li className="catalog-card" data-course={course.courseId}>
      <Link href={`/courses/${course.courseId}`} className="catalog-link">
        <Thumbnail
          url={course.firstLesson.thumbnailUrl}
          className="catalog-thumb"
          priority={priority}
        />
        <span className="catalog-title">{course.title}</span>
      </Link>
      {course.description && <p className="catalog-description">{course.description}</p>}
      <p className="muted">{plural(course.publishedLessons, "lesson")}</p>
    </li>
  );
}
