-- Metrics read the inbox's depth by state and the age of its oldest waiting event on every
-- scrape. Applied and ignored events grow without bound; the others stay few, so a partial
-- index over them keeps that read cheap however large the inbox becomes.
create index mux_events_open_idx on public.mux_events (state, received_at)
  where state in ('pending', 'failed', 'unmatched', 'dead');

-- The same for the Mux cleanup outbox: metrics count the cleanups not done.
create index mux_cleanups_open_idx on public.mux_cleanups (action, state)
  where state in ('pending', 'failed', 'dead');
