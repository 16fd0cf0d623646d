import type { ApiError } from "@/lib/api";

export function LoadFailure({ error, retrying }: { error: ApiError; retrying: boolean }) {
  return (
    <section className="panel" data-testid="load-error">
      <p className="notice notice-error" role="alert">
        {error.message}
      </p>
      {retrying && <p className="muted">Trying again every few seconds…</p>}
    </section>
  );
}
