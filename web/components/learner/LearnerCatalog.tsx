import Link from "next/link";

import { CatalogCard } from "@/components/CatalogCard";
import type { CatalogCourse } from "@/lib/api/types";

/** The published courses, rendered on the server for anyone not signed in. */
export function LearnerCatalog({ courses }: { courses: CatalogCourse[] }) {
  return (
    <>
      <section className="intro">
        <h1>Courses</h1>
        <p className="lead">
          Watch the published courses below. Teaching? <Link href="/sign-in">Sign in</Link> or{" "}
          <Link href="/sign-in?mode=sign-up">create an account</Link> to publish your own video
          lessons.
        </p>
      </section>
      <section aria-labelledby="catalog-heading" className="catalog">
        <h2 id="catalog-heading">Published courses</h2>
        {courses.length === 0 ? (
          <p className="muted">No course is published yet.</p>
        ) : (
          <ul className="catalog-grid" data-testid="catalog">
            {courses.map((course, index) => (
              <CatalogCard key={course.courseId} course={course} priority={index < 2} />
            ))}
          </ul>
        )}
      </section>
    </>
  );
}
