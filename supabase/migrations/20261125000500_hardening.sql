-- Hardening: a sliding-window limit on the Mux calls a user can cause, and a cache of Mux
-- upload lookups, both in Postgres so they hold across any number of service instances.

-- The fixed one-minute windows let twice the limit through across a window boundary. Now:
-- at most p_limit calls in ANY p_window_seconds, counted from a log of each user's calls.
drop function public.take_upload_slot(uuid, integer, integer);
drop table public.upload_rate_windows;

create table public.mux_call_log (
  user_id uuid not null,
  at timestamptz not null
);
create index mux_call_log_user_at_idx on public.mux_call_log (user_id, at);
alter table public.mux_call_log enable row level security;
revoke all on public.mux_call_log from anon, authenticated;
grant all on public.mux_call_log to service_role;

-- Takes one of the user's slots if fewer than p_limit were taken in the last
-- p_window_seconds; otherwise says in how many seconds the oldest counted one expires.
-- Calls for one user take turns on an advisory lock, so concurrent requests cannot overshoot.
create function public.take_upload_slot(
  p_user_id uuid, p_limit integer, p_window_seconds integer default 60,
  out allowed boolean, out retry_after integer)
  language plpgsql set search_path = '' as $$
declare
  now_ts timestamptz := clock_timestamp();
  span interval := make_interval(secs => p_window_seconds);
  used integer;
  frees_at timestamptz;
begin
  perform pg_advisory_xact_lock(hashtextextended('mux-calls:' || p_user_id::text, 0));
  delete from public.mux_call_log c where c.user_id = p_user_id and c.at <= now_ts - span;
  select count(*) into used from public.mux_call_log c where c.user_id = p_user_id;
  allowed := used < p_limit;
  if allowed then
    insert into public.mux_call_log (user_id, at) values (p_user_id, now_ts);
    retry_after := 0;
    return;
  end if;
  select c.at into frees_at from public.mux_call_log c where c.user_id = p_user_id
    order by c.at offset used - p_limit limit 1;
  retry_after := greatest(1, ceil(extract(epoch from frees_at + span - now_ts))::integer);
end $$;

revoke all on function public.take_upload_slot(uuid, integer, integer)
  from public, anon, authenticated;
grant execute on function public.take_upload_slot(uuid, integer, integer) to service_role;

-- What Mux said about an upload the old flow reported (`update-upload-id`): an upload's
-- passthrough never changes, so one lookup per upload is enough; "no such upload" is kept
-- briefly (the service decides how long).
create table public.mux_upload_lookups (
  upload_id text primary key,
  found boolean not null,
  passthrough text,
  looked_up_at timestamptz not null default now()
);
alter table public.mux_upload_lookups enable row level security;
revoke all on public.mux_upload_lookups from anon, authenticated;
grant all on public.mux_upload_lookups to service_role;

-- Bounded entry points: the service's ingest and worker calls with this transaction's lock
-- waits limited (set_config(..., true) is SET LOCAL, so it also holds behind a transaction
-- pooler), at no extra statement or round trip. A lesson row held by a long transaction
-- elsewhere then fails only the events that need it ("canceling statement due to lock
-- timeout"), which the service stores `failed` for the worker to retry.
create function public.mux_ingest_event_bounded(
  p_payload jsonb, p_preferred_policy text, p_source text, p_created_at timestamptz,
  p_lock_timeout text,
  out inserted boolean, out state public.mux_event_state, out lesson_id uuid, out error text)
  language plpgsql set search_path = '' as $$
begin
  perform set_config('lock_timeout', p_lock_timeout, true);
  select * into inserted, state, lesson_id, error
    from public.mux_ingest_event(p_payload, p_preferred_policy, p_source, p_created_at);
end $$;

create function public.mux_ingest_batch_bounded(
  p_payloads jsonb[], p_created_at timestamptz[], p_preferred_policy text, p_source text,
  p_lock_timeout text)
  returns table (idx integer, inserted boolean, state public.mux_event_state, lesson_id uuid,
                 error text)
  language plpgsql set search_path = '' as $$
begin
  perform set_config('lock_timeout', p_lock_timeout, true);
  return query select * from public.mux_ingest_batch(
    p_payloads, p_created_at, p_preferred_policy, p_source);
end $$;

create function public.mux_work_next_bounded(
  p_preferred_policy text, p_max_attempts integer, p_base_delay_seconds double precision,
  p_max_delay_seconds double precision, p_lock_timeout text,
  out event_id text, out state public.mux_event_state, out lesson_id uuid, out error text,
  out attempts integer)
  returns setof record
  language plpgsql set search_path = '' as $$
begin
  perform set_config('lock_timeout', p_lock_timeout, true);
  return query select * from public.mux_work_next(
    p_preferred_policy, p_max_attempts, p_base_delay_seconds, p_max_delay_seconds);
end $$;

create function public.mux_sweep_unmatched_bounded(
  p_preferred_policy text, p_max_age interval, p_lock_timeout text,
  out rematched integer, out expired integer)
  language plpgsql set search_path = '' as $$
begin
  perform set_config('lock_timeout', p_lock_timeout, true);
  select * into rematched, expired from public.mux_sweep_unmatched(p_preferred_policy, p_max_age);
end $$;

revoke all on function
  public.mux_ingest_event_bounded(jsonb, text, text, timestamptz, text),
  public.mux_ingest_batch_bounded(jsonb[], timestamptz[], text, text, text),
  public.mux_work_next_bounded(text, integer, double precision, double precision, text),
  public.mux_sweep_unmatched_bounded(text, interval, text)
  from public, anon, authenticated;
grant execute on function
  public.mux_ingest_event_bounded(jsonb, text, text, timestamptz, text),
  public.mux_ingest_batch_bounded(jsonb[], timestamptz[], text, text, text),
  public.mux_work_next_bounded(text, integer, double precision, double precision, text),
  public.mux_sweep_unmatched_bounded(text, interval, text)
  to service_role;
