"use client";

import Link from "next/link";
import { useEffect } from "react";

import { PageTitle } from "@/components/PageTitle";
import { useAnnounce } from "@/lib/hooks/useAnnounce";

export function NotFound({
  what,
  signedIn,
  next,
  gone = false,
  preview = false,
}: {
  what: "Lesson" | "Course";
  signedIn: boolean;
  next: string;
  /** It was on this page a moment ago: its author unpublished or deleted it. */
  gone?: boolean;
  /** A "Preview as a learner" of what learners cannot see (the page's title is its own). */
  preview?: boolean;
}) {
  const announce = useAnnounce();
  const heading = gone ? `${what} no longer available` : `${what} not found`;
  useEffect(() => {
    if (gone) announce(`This ${what.toLowerCase()} is no longer available.`);
  }, [gone, what, announce]);
  if (preview) {
    return (
      <section className="panel" data-testid="not-found">
        <h1>Learners see nothing here</h1>
        <p>
          {what === "Course"
            ? "The course is a draft, or none of its lessons is public with its video ready."
            : "The lesson or its course is a draft, or its video is not ready."}{" "}
          Publish it to show it to learners.
        </p>
      </section>
    );
  }
  return (
    <section className="panel" data-testid="not-found">
      <PageTitle title={heading} />
      <h1>{heading}</h1>
      <p>
        {gone
          ? "Its author has unpublished or removed it."
          : "It does not exist, or it is not one you may see."}{" "}
        {signedIn ? (
          gone ? "" : "Its author may not have published it yet."
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
