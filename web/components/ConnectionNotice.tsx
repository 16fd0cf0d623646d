import type { Connection } from "@/lib/api/types";

/**
 * Says when live status is not live, so a page never looks current while it is not. The
 * region is always in the page (so the warning is read when it appears). Authors see a small
 * "Live" mark while updates flow; learners (`quiet`) see nothing then.
 */
export function ConnectionNotice({
  connection,
  quiet = false,
}: {
  connection: Connection;
  quiet?: boolean;
}) {
  return (
    <div className="connection" role="status" data-testid="connection" data-state={connection}>
      {connection === "live" && !quiet && (
        <span className="connection-live" title="This page updates by itself">
          Live
        </span>
      )}
      {connection === "reconnecting" && (
        <p className="notice notice-warning">
          The lesson service cannot be reached. Reconnecting; this page will catch up when it is
          back.
        </p>
      )}
    </div>
  );
}
