"use client";

import { useRouter } from "next/navigation";
import { useEffect, useRef } from "react";

import { subscribeToCourse, type CourseListing } from "@/lib/api";
import { useServiceClient } from "@/lib/useServiceClient";

/**
 * Keeps a server-rendered course or lesson page current: it follows the course stream and,
 * when the lessons the viewer may see change (one published, renamed, moved or taken down),
 * asks the server for the page again (which reads the service as the viewer once more).
 */
export function CourseRefresher({ courseId }: { courseId: string }) {
  const { client } = useServiceClient();
  const router = useRouter();
  const seen = useRef<string | null>(null);
  useEffect(() => {
    if (client === null) return;
    return subscribeToCourse(client, courseId, {
      onLessons: (listing: CourseListing) => {
        const signature = JSON.stringify([
          listing.title,
          listing.lessons.map((l) => [l.lessonId, l.title, l.position]),
        ]);
        const before = seen.current;
        seen.current = signature;
        if (before !== null && before !== signature) router.refresh();
      },
      onVideo: () => {},
    });
  }, [client, courseId, router]);
  return null;
}
