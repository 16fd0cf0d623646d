import { CatalogGrid } from "@/components/CatalogGrid";
import { CatalogIntro } from "@/components/CatalogIntro";
import type { CatalogCourse } from "@/lib/api/types";

/** The published courses, rendered on the server for anyone not signed in. */
export function LearnerCatalog({ courses }: { courses: CatalogCourse[] }) {
  return (
    <>
      <CatalogIntro />
      <section aria-labelledby="catalog-heading" className="catalog">
        <h2 id="catalog-heading">Published courses</h2>
        <CatalogGrid courses={courses} firstRow={2} />
      </section>
    </>
  );
}
