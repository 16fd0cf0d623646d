import type { ApiError } from "@/lib/api/apiError";

export function LoadFailure({ error, retrying }: { error: ApiError; retrying: boolean }) {
  return (
    <section className="panel" data-testid="load-error">
      <p className="notice notice-error">{error.message}</p>
      {retrying && <p className="muted">Trying again every few seconds…</p>}
    </section>
  );
}

/**
 * The page's loading state, in a live region that is in the page from the start: "Loading…",
 * then the failure (read out), then nothing once the page is there.
 */
export function LoadState({
  what,
  loading,
  error,
  retrying = false,
}: {
  what: string;
  loading: boolean;
  error: ApiError | null;
  retrying?: boolean;
}) {
  return (
    <div className="live load-state" role="status" aria-live="polite">
      {loading && !error && <p className="muted">Loading {what}…</p>}
      {error && <LoadFailure error={error} retrying={retrying} />}
    </div>
  );
}
