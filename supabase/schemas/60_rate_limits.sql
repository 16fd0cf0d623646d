-- Limits on the Mux calls a user can cause, and a cache of Mux upload lookups, both in
-- Postgres so they hold across any number of service instances.

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

revoke all on function
  public.take_upload_slot(uuid,integer,integer)
  from public, anon, authenticated;

grant execute on function
  public.take_upload_slot(uuid,integer,integer)
  to service_role;
