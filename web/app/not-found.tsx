import Link from "next/link";
import { headers } from "next/headers";

import { RouteNotFound } from "@/components/learner/RouteNotFound";
import { PageTitle } from "@/components/PageTitle";
import { MISSING_HEADER } from "@/lib/pageAccess";

export default async function NotFoundPage() {
  // A lesson or course the viewer may not see (proxy.ts asked the service as them).
  const missing = (await headers()).get(MISSING_HEADER);
  if (missing === "Lesson" || missing === "Course") return <RouteNotFound what={missing} />;
  return (
    <section className="panel">
      <PageTitle title="Page not found" />
      <h1>Page not found</h1>
      <p>
        <Link href="/">Back to the start</Link>
      </p>
    </section>
  );
}
