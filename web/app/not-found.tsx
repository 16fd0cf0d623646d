import Link from "next/link";

import { PageTitle } from "@/components/PageTitle";

export default function NotFoundPage() {
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
