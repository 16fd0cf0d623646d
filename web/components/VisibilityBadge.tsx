import type { VideoStatus, Visibility } from "@/lib/api/types";

/** The author's decision in words: "Draft", "Public", or, for a public lesson whose video is
 * not published yet, "Public — appears when its video is ready". */
export function visibilityLabel(visibility: Visibility, status?: VideoStatus): string {
  if (visibility === "draft") return "Draft";
  if (status !== undefined && status !== "published") {
    return "Public — appears when its video is ready";
  }
  return "Public";
}

/** A pill beside the video status: who may watch (`data-visibility` carries the value). */
export function VisibilityBadge({
  visibility,
  status,
}: {
  visibility: Visibility;
  /** The lesson's video status (lessons only). */
  status?: VideoStatus;
}) {
  const waiting = visibility === "public" && status !== undefined && status !== "published";
  return (
    <span
      className={`badge visibility-${waiting ? "waiting" : visibility}`}
      data-testid="visibility"
      data-visibility={visibility}
    >
      {visibilityLabel(visibility, status)}
    </span>
  );
}

/** A course's line in the author's list: its own state, and how many lessons are public. */
export function PublicSummary({
  visibility,
  publicLessons,
  lessonCount,
}: {
  visibility: Visibility;
  publicLessons: number;
  lessonCount: number;
}) {
  return (
    <p className="muted publish-summary" data-testid="course-public">
      <VisibilityBadge visibility={visibility} />{" "}
      {lessonCount === 0
        ? "No lessons to publish yet"
        : `${publicLessons} of ${lessonCount} ${lessonCount === 1 ? "lesson" : "lessons"} public`}
      {visibility === "draft" && lessonCount > 0
        ? ": learners see none until the course is public"
        : ""}
    </p>
  );
}
