"use client";

import { useState } from "react";

import { VisibilityBadge } from "@/components/VisibilityBadge";
import { setVisibility } from "@/lib/api/rest";
import type { ServiceClient, VideoStatus, Visibility } from "@/lib/api/types";
import { useAnnounce } from "@/lib/hooks/useAnnounce";

/** What learners see after the change, said to the author. */
export function publishedMessage(
  what: "course" | "lesson",
  title: string,
  visibility: Visibility,
  status?: VideoStatus,
  courseVisibility?: Visibility,
): string {
  if (visibility === "draft") {
    return what === "course"
      ? `«${title}» is a draft again: learners no longer see it or any of its lessons.`
      : `«${title}» is a draft again: learners no longer see it.`;
  }
  if (what === "course") {
    return `«${title}» is public: learners see its public lessons whose videos are ready.`;
  }
  const waits: string[] = [];
  if (status !== undefined && status !== "published") waits.push("its video is ready");
  if (courseVisibility === "draft") waits.push("the course is public");
  return waits.length === 0
    ? `«${title}» is public: learners see it now.`
    : `«${title}» is public: learners will see it once ${waits.join(" and ")}.`;
}

/**
 * Publish / Unpublish for a course or a lesson, with its state in words (a badge). The
 * change is the service's to make (`PATCH` with `visibility`); what it means for learners is
 * said in the page's status line, and a failure next to the button.
 */
export function PublishControl({
  client,
  what,
  id,
  title,
  visibility,
  status,
  courseVisibility,
  onChanged,
  compact = false,
}: {
  client: ServiceClient;
  what: "course" | "lesson";
  id: string;
  title: string;
  visibility: Visibility;
  /** The lesson's video status (lessons only). */
  status?: VideoStatus;
  /** The lesson's course's visibility, when known (lessons only). */
  courseVisibility?: Visibility;
  onChanged: (visibility: Visibility) => void;
  /** In a list row: the button names its lesson for screen readers. */
  compact?: boolean;
}) {
  const announce = useAnnounce();
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const next: Visibility = visibility === "public" ? "draft" : "public";
  const verb = next === "public" ? "Publish" : "Unpublish";

  async function change() {
    setBusy(true);
    setProblem(null);
    try {
      await setVisibility(client, what, id, next);
      onChanged(next);
      announce(publishedMessage(what, title, next, status, courseVisibility));
    } catch (error) {
      setProblem(error instanceof Error ? error.message : String(error));
    } finally {
      setBusy(false);
    }
  }

  return (
    <span className={compact ? "publish-control publish-compact" : "publish-control"}>
      <VisibilityBadge visibility={visibility} status={status} />
      <button
        type="button"
        className="button button-secondary button-small"
        data-control="publish"
        aria-label={compact ? `${verb} «${title}»` : undefined}
        disabled={busy}
        onClick={change}
      >
        {busy ? `${verb}ing…` : compact ? verb : `${verb} ${what}`}
      </button>
      {problem && (
        <span className="field-error" role="alert">
          {problem}
        </span>
      )}
    </span>
  );
}
