"use client";

import { usePathname } from "next/navigation";

import { NotFound } from "@/components/NotFound";
import { useSession } from "@/lib/hooks/useSession";

/** A course or lesson the viewer may not see (the server answered 404). */
export function RouteNotFound({ what }: { what: "Lesson" | "Course" }) {
  const pathname = usePathname();
  const session = useSession();
  return <NotFound what={what} signedIn={session.status === "signed-in"} next={pathname} />;
}
