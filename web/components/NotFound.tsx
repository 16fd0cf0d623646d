import Link from "next/link";

import { PageTitle } from "@/components/PageTitle";

export function NotFound({
  what,
  signedIn,
  next,
}: {
  what: "Lesson" | "Course";
  signedIn: boolean;
  next: string;
}) {
  return (
    <section className="panel" data-testid="not-found">
      <PageTitle title={`${what} not found`} />
      <h1>{what} not found</h1>
      <p>
        It does not exist, or it is not one you may see.{" "}
        {signedIn ? (
          "If it belongs to another author, ask them to publish it."
        ) : (
          <>
            If it is yours, <Link href={`/sign-in?next=${encodeURIComponent(next)}`}>sign in</Link>.
          </>
        )}
      </p>
      <p>
        <Link href="/">Back to the courses</Link>
      </p>
    </section>
  );
}
