import { CatalogCard } from "@/components/CatalogCard";
import type { CatalogCourse } from "@/lib/api/types";

/** The published courses as a grid of cards, or that none is published yet. `firstRow`:
 * how many thumbnails load before the page is idle (those seen at once). */
export function CatalogGrid({
  courses,
  firstRow = 0,
}: {
  courses: CatalogCourse[];
  firstRow?: number;
}) {
  if (courses.length === 0) return <p className="muted">No course is published yet.</p>;
  return (
    <ul className="catalog-grid" data-testid="catalog">
      {courses.map((course, index) => (
        <CatalogCard key={course.courseId} course={course} priority={index < firstRow} />
      ))}
    </ul>
  );
}
