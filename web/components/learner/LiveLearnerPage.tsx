"use client";

import { useRouter } from "next/navigation";
import { useEffect, useRef, useState, type ReactNode } from "react";

import { NotFound } from "@/components/NotFound";
import { subscribeToCourse } from "@/lib/api/streams";
import type { CourseListing } from "@/lib/api/types";
import { useServiceClient } from "@/lib/hooks/useServiceClient";
import { listingSignature } from "@/lib/learner";

/**
 * Keeps a server-rendered course or lesson page current. It follows the course stream and,
 * when the lessons the viewer may see differ from what the page shows (`shown`, from the
 * server's reading: one published, renamed, moved or taken down since, even before the stream
 * opened), asks the server for the page again (which reads the service as the viewer once
 * more). When what the page shows is taken away while it is open (the lesson, `lessonId`, no
 * longer listed; the course no longer visible), the page says it is no longer available.
 */
export function LiveLearnerPage({
  courseId,
  lessonId,
  shown,
  live = true,
  children,
}: {
  courseId: string;
  lessonId?: string;
  shown: string;
  /** False: the page as rendered, not followed (a preview). */
  live?: boolean;
  children: ReactNode;
}) {
  const { client, session } = useServiceClient();
  const router = useRouter();
  const seen = useRef(shown);
  const [gone, setGone] = useState(false);
  useEffect(() => {
    seen.current = shown; // the page as refreshed
  }, [shown]);
  useEffect(() => {
    if (client === null || !live) return;
    return subscribeToCourse(client, courseId, {
      onLessons: (listing: CourseListing) => {
        if (lessonId && !listing.lessons.some((l) => l.lessonId === lessonId)) {
          setGone(true);
          return;
        }
        const signature = listingSignature(listing.title, listing.lessons);
        if (signature === seen.current) return;
        seen.current = signature;
        router.refresh();
      },
      onVideo: () => {},
      onFailure: (error) => {
        if (error.status === 404) setGone(true);
      },
    });
  }, [client, courseId, lessonId, router, live]);
  if (gone) {
    return (
      <NotFound
        what={lessonId ? "Lesson" : "Course"}
        signedIn={session.status === "signed-in"}
        next={lessonId ? `/lessons/${lessonId}` : `/courses/${courseId}`}
        gone
      />
    );
  }
  return <>{children}</>;
}
