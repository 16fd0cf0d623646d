import type { Connection } from "@/lib/api";

/** Says when live status is not live, so a page never looks current while it is not. */
export function ConnectionNotice({ connection }: { connection: Connection }) {
  if (connection === "live") {
    return (
      <p className="connection connection-live" data-testid="connection" data-state="live">
        Live
      </p>
    );
  }
  return (
    <p className="notice notice-warning" role="status" data-testid="connection" data-state={connection}>
      {connection === "connecting"
        ? "Connecting to live status…"
        : "The lesson service cannot be reached. Reconnecting; this page will catch up when it is back."}
    </p>
  );
}
