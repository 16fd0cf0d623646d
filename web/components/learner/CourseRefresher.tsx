"use client";

import { useRouter } from "next/navigation";
import { useEffect, useRef } from "react";

import { subscribeToCourse, type CourseListing } from "@/lib/api";
import { listingSignature } from "@/lib/learner";
import { useServiceClient } from "@/lib/useServiceClient";

/**
 * Keeps a server-rendered course or lesson page current: it follows the course stream and,
 * when the lessons the viewer may see differ from what the page shows (`shown`, from the
 * server's reading: one published, renamed, moved or taken down since, even before the stream
 * opened), asks the server for the page again (which reads the service as the viewer once more).
 */
export function CourseRefresher({ courseId, shown }: { courseId: string; shown: string }) {
  const { client } = useServiceClient();
  const router = useRouter();
  const seen = useRef(shown);
  useEffect(() => {
    seen.current = shown; // the page as refreshed
  }, [shown]);
  useEffect(() => {
    if (client === null) return;
    return subscribeToCourse(client, courseId, {
      onLessons: (listing: CourseListing) => {
        const signature = listingSignature(listing.title, listing.lessons);
        if (signature === seen.current) return;
        seen.current = signature;
        router.refresh();
      },
      onVideo: () => {},
    });
  }, [client, courseId, router]);
  return null;
}
