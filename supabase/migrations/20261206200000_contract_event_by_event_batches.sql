-- Contract, as 20261206140000_set_apply.sql wrote down: the batch path of the release before
-- 2026-12-06 (mux_ingest_batch_bounded, mux_ingest_batch: a batch applied event by event).
-- Neither this release nor the previous one (2026-12-06, RELEASES.txt) calls them: both store
-- and apply a batch with mux_ingest_batch_set, and a lone event with mux_ingest_event_bounded.
drop function public.mux_ingest_batch_bounded(jsonb[], timestamptz[], text, text, text);
drop function public.mux_ingest_batch(jsonb[], timestamptz[], text, text);
