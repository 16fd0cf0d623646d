-- Per-user rate limit on creating Mux uploads (each one is billable). Kept in Postgres so the
-- limit holds across any number of service instances. Fixed one-minute windows.

create table public.upload_rate_windows (
  user_id uuid not null,
  window_start timestamptz not null,
  requests integer not null,
  primary key (user_id, window_start)
);
alter table public.upload_rate_windows enable row level security;
revoke all on public.upload_rate_windows from anon, authenticated;
grant all on public.upload_rate_windows to service_role;

create function public.take_upload_slot(
  p_user_id uuid, p_limit integer, p_window_seconds integer default 60,
  out allowed boolean, out retry_after integer)
  language plpgsql set search_path = '' as $$
declare
  now_ts timestamptz := clock_timestamp();
  current_window timestamptz := to_timestamp(
    floor(extract(epoch from now_ts) / p_window_seconds) * p_window_seconds);
  used integer;
begin
  insert into public.upload_rate_windows as w (user_id, window_start, requests)
    values (p_user_id, current_window, 1)
    on conflict on constraint upload_rate_windows_pkey
    do update set requests = w.requests + 1
    returning w.requests into used;
  delete from public.upload_rate_windows w
    where w.user_id = p_user_id and w.window_start < current_window;
  allowed := used <= p_limit;
  retry_after := case when allowed then 0 else greatest(1, ceil(extract(epoch from
    current_window + make_interval(secs => p_window_seconds) - now_ts))::integer) end;
end $$;

revoke all on function public.take_upload_slot(uuid, integer, integer)
  from public, anon, authenticated;
grant execute on function public.take_upload_slot(uuid, integer, integer) to service_role;
