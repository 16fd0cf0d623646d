-- Workers and live status: retrying the inbox, parking and expiring unmatched events, and
-- telling every service process (LISTEN lesson_video) the moment a lesson's video changes.

-- Delivered at commit to every listening service process, which fans out to its SSE clients.
create function public.lessons_notify_video_change() returns trigger
  language plpgsql set search_path = '' as $$
begin
  perform pg_notify('lesson_video', json_build_object(
    'id', new.id,
    'title', new.title,
    'video_version', new.video_version,
    'status', new.status,
    'mux_playback_id', new.mux_playback_id,
    'playback_policy', new.playback_policy,
    'duration_seconds', new.duration_seconds,
    'aspect_ratio', new.aspect_ratio,
    'video_error', new.video_error,
    'status_changed_at', new.status_changed_at)::text);
  return null;
end $$;

create trigger lessons_notify_insert after insert on public.lessons
  for each row execute function public.lessons_notify_video_change();
create trigger lessons_notify_update after update on public.lessons
  for each row when (old.video_version is distinct from new.video_version)
  execute function public.lessons_notify_video_change();

-- One unit of worker progress: claim the most overdue pending/failed event (other workers
-- skip it), apply it, and on failure schedule a retry with exponential backoff and jitter,
-- or bury it as `dead` after p_max_attempts. No row when nothing is due.
create function public.mux_work_next(
  p_preferred_policy text, p_max_attempts integer, p_base_delay_seconds double precision,
  p_max_delay_seconds double precision,
  out event_id text, out state public.mux_event_state, out lesson_id uuid, out error text,
  out attempts integer)
  returns setof record
  language plpgsql set search_path = '' as $$
begin
  select e.id into event_id from public.mux_events e
    where e.state in ('pending', 'failed') and e.next_attempt_at <= now()
    order by e.next_attempt_at
    limit 1
    for update skip locked;
  if event_id is null then
    return;
  end if;
  select r.state, r.lesson_id, r.error into state, lesson_id, error
    from public.mux_process_event(event_id, p_preferred_policy) r;
  if state = 'failed' then
    update public.mux_events e set
        state = (case when e.attempts >= p_max_attempts then 'dead' else 'failed' end)::public.mux_event_state,
        next_attempt_at = now() + make_interval(secs =>
          least(p_max_delay_seconds, p_base_delay_seconds * 2 ^ (e.attempts - 1))
          * (0.5 + random() / 2))
      where e.id = event_id
      returning e.state into state;
  end if;
  select e.attempts into attempts from public.mux_events e where e.id = event_id;
  return next;
end $$;

-- Unmatched events whose upload or asset a lesson (or a superseded upload) now carries are
-- applied; those nobody claimed within p_max_age are closed as `ignored` with the reason.
create function public.mux_sweep_unmatched(
  p_preferred_policy text, p_max_age interval, p_limit integer default 500,
  out rematched integer, out expired integer)
  language plpgsql set search_path = '' as $$
declare
  parked text;
begin
  rematched := 0;
  for parked in
    select e.id from public.mux_events e
      where e.state = 'unmatched'
        and (exists (select 1 from public.lessons l
                       where l.mux_upload_id = e.upload_id or l.mux_asset_id = e.asset_id)
             or exists (select 1 from public.superseded_uploads s
                          where s.upload_id = e.upload_id or s.asset_id = e.asset_id))
      order by e.received_at
      limit p_limit
      for update skip locked
  loop
    perform public.mux_process_event(parked, p_preferred_policy);
    rematched := rematched + 1;
  end loop;
  update public.mux_events e
    set state = 'ignored',
        outcome = 'expired: no lesson claimed this upload or asset within '
                  || justify_interval(p_max_age)::text
    where e.state = 'unmatched' and e.received_at < now() - p_max_age;
  get diagnostics expired = row_count;
end $$;

revoke all on function
  public.lessons_notify_video_change(),
  public.mux_work_next(text, integer, double precision, double precision),
  public.mux_sweep_unmatched(text, interval, integer)
  from public, anon, authenticated;
grant execute on function
  public.mux_work_next(text, integer, double precision, double precision),
  public.mux_sweep_unmatched(text, interval, integer)
  to service_role;
