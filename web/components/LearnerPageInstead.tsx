"use client";

import { useRouter } from "next/navigation";
import { useEffect } from "react";

import { LoadState } from "@/components/LoadFailure";
import { PageTitle } from "@/components/PageTitle";

/**
 * The author's editor was rendered for a lesson or course this browser's user does not own
 * (the session changed since the server rendered the page): the server is asked for the page
 * again, once, and renders the learner's page (server-rendered, components/learner/) instead.
 */
export function LearnerPageInstead({ what }: { what: "the lesson" | "the course" }) {
  const router = useRouter();
  useEffect(() => router.refresh(), [router]);
  return (
    <>
      <PageTitle title={what === "the lesson" ? "Lesson" : "Course"} />
      <LoadState what={what} loading error={null} />
    </>
  );
}
