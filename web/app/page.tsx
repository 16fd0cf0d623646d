import type { Metadata } from "next";

import { AuthorHome } from "@/components/AuthorPages";
import { LearnerCatalog } from "@/components/learner/LearnerCatalog";
import { PageFailure } from "@/components/learner/PageFailure";
import { loadCatalog, pageMetadata } from "@/lib/learnerPages";
import { currentViewer } from "@/lib/viewer";

const DESCRIPTION = "Video courses: watch the published lessons, or sign in to publish your own.";

export async function generateMetadata(): Promise<Metadata> {
  const viewer = await currentViewer();
  if (viewer === null || viewer.userId !== null) return {}; // the workspace titles itself
  const catalog = await loadCatalog();
  const first = catalog.state === "ready" ? catalog.value[0] : undefined;
  return pageMetadata({
    title: "Courses",
    description: DESCRIPTION,
    path: "/",
    image: first?.firstLesson.thumbnailUrl ?? null,
  });
}

/** Signed in: the author's workspace (client-rendered). Anyone else: the published courses,
 * rendered on the server with their data. */
export default async function HomePage() {
  const viewer = await currentViewer();
  if (viewer === null || viewer.userId !== null) return <AuthorHome />;
  const catalog = await loadCatalog();
  if (catalog.state === "failed") return <PageFailure what="Courses" error={catalog.error} />;
  return <LearnerCatalog courses={catalog.state === "ready" ? catalog.value : []} />;
}
