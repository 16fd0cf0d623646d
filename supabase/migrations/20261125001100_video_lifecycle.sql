-- The whole life of a lesson video at Mux: replace, cancel, remove, delete with the lesson,
-- captions and downloads. Mux objects the service no longer needs (superseded or removed
-- assets, cancelled uploads) are cleaned up through an outbox written in the same
-- transaction as the change that makes them unneeded, so the intent can never be lost; the
-- worker carries it out (service/mux_cleanup.py).
--
-- State machine additions (mux_apply now wraps the original transitions, renamed
-- mux_apply_transitions and unchanged):
--   video.asset.ready for the current upload also schedules the deletion of every asset
--     the lesson has moved on from (superseded uploads), after SUPERSEDED_ASSET_RETENTION;
--   an event revealing the asset of a superseded upload already due for cleanup (cancelled,
--     removed, replaced) schedules that asset's deletion;
--   video.asset.deleted also closes the asset's pending cleanup (someone deleted it already)
--     and, for the current asset, schedules the superseded ones (nothing plays any more);
--   video.asset.track.* keep the current asset's text tracks, video.asset.static_rendition.*
--     and the older video.asset.static_renditions.* its MP4 downloads; each only moves
--     forward (preparing < ready | errored | skipped < deleted), so late and duplicate
--     events change nothing, and events about a superseded or deleted asset are ignored.
-- Author actions, in SQL beside it: mux_cancel_upload, mux_remove_video; and a trigger that
-- schedules the cleanup of a lesson's Mux objects whenever the lesson is deleted, by any
-- path (API, dashboard, SQL, a course deleted with its lessons).

-- --- the outbox -----------------------------------------------------------------------------

create type public.mux_cleanup_state as enum ('pending', 'failed', 'done', 'dead');

create table public.mux_cleanups (
  id bigint generated always as identity primary key,
  action text not null check (action in ('delete_asset', 'cancel_upload')),
  object_id text not null,
  lesson_id uuid,  -- no foreign key: the lesson may be the thing that was deleted
  reason text not null
    check (reason in ('replaced', 'removed', 'cancelled', 'lesson_deleted', 'orphan')),
  state public.mux_cleanup_state not null default 'pending',
  attempts integer not null default 0,
  last_error text,
  outcome text,
  next_attempt_at timestamptz not null default now(),
  created_at timestamptz not null default now(),
  done_at timestamptz,
  updated_at timestamptz not null default now(),
  unique (action, object_id)
);
create index mux_cleanups_due_idx on public.mux_cleanups (next_attempt_at)
  where state in ('pending', 'failed');
create index mux_cleanups_created_idx on public.mux_cleanups (created_at desc);

create trigger mux_cleanups_touch before update on public.mux_cleanups
  for each row execute function public.touch_updated_at();

alter table public.mux_cleanups enable row level security;
revoke all on public.mux_cleanups from anon, authenticated;
grant all on public.mux_cleanups to service_role;

-- Superseded uploads remember whether (and why) their Mux objects are to be cleaned up:
-- null while the upload may still come back (a replacement not yet published).
alter table public.superseded_uploads
  add column cleanup_reason text
    check (cleanup_reason in ('replaced', 'removed', 'cancelled', 'lesson_deleted'));
create index superseded_uploads_lesson_idx on public.superseded_uploads (lesson_id);

-- Records the intent once per Mux object; a second request for the same object changes
-- nothing (the first reason stands).
create function public.mux_cleanup_enqueue(
  p_action text, p_object_id text, p_lesson_id uuid, p_reason text) returns void
  language sql as $$
  insert into public.mux_cleanups (action, object_id, lesson_id, reason)
    values (p_action, p_object_id, p_lesson_id, p_reason)
    on conflict (action, object_id) do nothing
$$;

-- Marks the lesson's superseded uploads for cleanup and schedules their known assets.
create function public.mux_cleanup_superseded(p_lesson_id uuid, p_reason text) returns void
  language plpgsql set search_path = '' as $$
declare
  s public.superseded_uploads;
begin
  for s in
    update public.superseded_uploads su set cleanup_reason = p_reason
      where su.lesson_id = p_lesson_id and su.cleanup_reason is null
      returning su.*
  loop
    if s.asset_id is not null then
      perform public.mux_cleanup_enqueue('delete_asset', s.asset_id, p_lesson_id, p_reason);
    end if;
  end loop;
end $$;

-- --- captions and downloads -------------------------------------------------------------------

-- Rank of a track or rendition status: it only moves forward.
create function public.mux_media_rank(p_status text) returns integer
  language sql immutable as $$
  select case p_status
    when 'preparing' then 1
    when 'ready' then 2 when 'errored' then 2 when 'skipped' then 2
    when 'deleted' then 3
    else 0 end
$$;

create table public.lesson_text_tracks (
  asset_id text not null,
  track_id text not null,
  language_code text,
  name text,
  text_source text,
  status text not null,
  updated_at timestamptz not null default now(),
  primary key (asset_id, track_id)
);

create table public.lesson_downloads (
  asset_id text not null,
  name text not null,
  resolution text,
  ext text,
  status text not null,
  updated_at timestamptz not null default now(),
  primary key (asset_id, name)
);

-- Readable exactly when the lesson playing that asset is (RLS on lessons decides).
alter table public.lesson_text_tracks enable row level security;
alter table public.lesson_downloads enable row level security;
create policy lesson_text_tracks_read on public.lesson_text_tracks for select
  to anon, authenticated
  using (exists (select 1 from public.lessons l where l.mux_asset_id = asset_id));
create policy lesson_downloads_read on public.lesson_downloads for select
  to anon, authenticated
  using (exists (select 1 from public.lessons l where l.mux_asset_id = asset_id));
revoke all on public.lesson_text_tracks, public.lesson_downloads from anon, authenticated;
grant select on public.lesson_text_tracks, public.lesson_downloads to anon, authenticated;
grant all on public.lesson_text_tracks, public.lesson_downloads to service_role;

-- The captions and downloads of an asset as the video JSON shows them (invoker's rights:
-- RLS applies to whoever asks). PL/pgSQL, not SQL: it runs in the lesson change trigger on
-- the webhook path, and PL/pgSQL keeps its query plans where a SQL function is planned on
-- every call (measured: ~125 us a call).
create function public.lesson_media_json(p_asset_id text) returns jsonb
  language plpgsql stable set search_path = '' as $$
begin
  return jsonb_build_object(
    'captions', coalesce((
      select jsonb_agg(jsonb_build_object(
               'trackId', t.track_id, 'languageCode', t.language_code, 'name', t.name,
               'status', t.status) order by t.language_code, t.name, t.track_id)
        from public.lesson_text_tracks t
        where t.asset_id = p_asset_id and t.status <> 'deleted'), '[]'::jsonb),
    'downloads', coalesce((
      select jsonb_agg(jsonb_build_object(
               'name', d.name, 'resolution', d.resolution, 'status', d.status)
               order by d.name)
        from public.lesson_downloads d
        where d.asset_id = p_asset_id and d.status <> 'deleted'), '[]'::jsonb));
end $$;
grant execute on function public.lesson_media_json(text) to anon, authenticated, service_role;

create function public.mux_upsert_text_track(p_asset_id text, d jsonb, p_status text)
  returns boolean
  language plpgsql set search_path = '' as $$
begin
  insert into public.lesson_text_tracks as t
      (asset_id, track_id, language_code, name, text_source, status)
    values (p_asset_id, d ->> 'id', d ->> 'language_code', d ->> 'name', d ->> 'text_source',
            p_status)
    on conflict (asset_id, track_id) do update set
        status = excluded.status,
        language_code = coalesce(excluded.language_code, t.language_code),
        name = coalesce(excluded.name, t.name),
        text_source = coalesce(excluded.text_source, t.text_source),
        updated_at = now()
      where public.mux_media_rank(excluded.status) > public.mux_media_rank(t.status);
  return found;
end $$;

create function public.mux_upsert_download(
  p_asset_id text, p_name text, p_resolution text, p_ext text, p_status text)
  returns boolean
  language plpgsql set search_path = '' as $$
begin
  insert into public.lesson_downloads as r (asset_id, name, resolution, ext, status)
    values (p_asset_id, p_name, p_resolution, p_ext, p_status)
    on conflict (asset_id, name) do update set
        status = excluded.status,
        resolution = coalesce(excluded.resolution, r.resolution),
        ext = coalesce(excluded.ext, r.ext),
        updated_at = now()
      where public.mux_media_rank(excluded.status) > public.mux_media_rank(r.status);
  return found;
end $$;

-- Track and per-rendition events carry the track or rendition as `data`, its asset at
-- `data.asset_id`; every other asset event carries the asset itself.
create or replace function public.mux_event_asset_id(p_type text, p_payload jsonb) returns text
  language sql immutable as $$
  select case when p_type like 'video.upload.%' then p_payload -> 'data' ->> 'asset_id'
              when p_type like 'video.asset.track.%'
                or p_type like 'video.asset.static\_rendition.%'
              then p_payload -> 'data' ->> 'asset_id'
              when p_type like 'video.asset.%' then p_payload -> 'data' ->> 'id' end
$$;

-- The lesson's video version moves when its captions or downloads change, so the live
-- stream and the operator page hear of it.
create or replace function public.lessons_notify_video_change() returns trigger
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
    'status_changed_at', new.status_changed_at,
    -- captions and downloads are shown only while published (service/lesson_video.py)
    'media', case when new.status = 'published'
                  then public.lesson_media_json(new.mux_asset_id) end)::text);
  return null;
end $$;

-- --- the state machine ------------------------------------------------------------------------

-- An asset gone from Mux takes its captions and downloads with it.
create function public.mux_forget_asset_parts(p_asset_id text) returns void
  language sql as $$
  delete from public.lesson_text_tracks where asset_id = p_asset_id;
  delete from public.lesson_downloads where asset_id = p_asset_id;
$$;

-- Whoever deleted an asset (this service, someone in Mux's dashboard), once Mux says it is
-- gone there is nothing left to clean up. A cleanup a worker holds right now (its DELETE
-- is what Mux is announcing) is left to that worker rather than waited for.
create function public.mux_cleanup_close_deleted(ev public.mux_events) returns void
  language sql as $$
  update public.mux_cleanups c set state = 'done', done_at = now(),
      outcome = 'video.asset.deleted received', last_error = null
    where c.id in (
      select p.id from public.mux_cleanups p
        where ev.type = 'video.asset.deleted' and p.action = 'delete_asset'
          and p.object_id = ev.asset_id and p.state in ('pending', 'failed')
        for update skip locked)
$$;

-- Track and rendition events name only their asset, so they may arrive before the lesson
-- knows it and be parked; they are applied as soon as it does.
create function public.mux_apply_parked_for_asset(p_asset_id text, p_preferred_policy text)
  returns void
  language plpgsql set search_path = '' as $$
declare
  parked text;
begin
  for parked in
    select e.id from public.mux_events e
      where e.state = 'unmatched' and e.asset_id = p_asset_id and e.upload_id is null
      order by e.mux_created_at nulls last, e.received_at
  loop
    perform public.mux_process_event(parked, p_preferred_policy);
  end loop;
end $$;

-- The transitions of the original state machine (20261125000200) stay as they are, under a
-- new name; mux_apply now wraps them with what the video's whole life adds. Every caller
-- (ingest, worker, replay, attach, reconcile) keeps calling mux_apply.
alter function public.mux_apply(public.mux_events, text) rename to mux_apply_transitions;

create function public.mux_apply(
  ev public.mux_events, p_preferred_policy text,
  out verdict public.mux_event_state, out matched_lesson uuid, out note text)
  language plpgsql set search_path = '' as $$
declare
  prev public.superseded_uploads;
begin
  if ev.type like 'video.asset.track.%' or ev.type like 'video.asset.static\_rendition%' then
    select r.verdict, r.matched_lesson, r.note into verdict, matched_lesson, note
      from public.mux_apply_asset_part(ev) r;
    return;
  end if;

  select r.verdict, r.matched_lesson, r.note into verdict, matched_lesson, note
    from public.mux_apply_transitions(ev, p_preferred_policy) r;

  if verdict = 'applied' and note is null
     and ev.type in ('video.asset.ready', 'video.asset.deleted') then
    -- The replacement plays (or nothing plays any more): what the lesson moved on from can go.
    perform public.mux_cleanup_superseded(matched_lesson, 'replaced');
  end if;
  if verdict = 'applied' and ev.asset_id is not null
     and ev.type in ('video.upload.asset_created', 'video.asset.created', 'video.asset.ready')
     and exists (select 1 from public.mux_events e
                   where e.state = 'unmatched' and e.asset_id = ev.asset_id) then
    perform public.mux_apply_parked_for_asset(ev.asset_id, p_preferred_policy);
  end if;
  if verdict = 'ignored' and note like 'superseded upload %' and ev.asset_id is not null then
    -- An asset the lesson no longer wants (its upload was cancelled, removed or replaced)
    -- may only now become known: record it, and schedule its deletion if it is due.
    select * into prev from public.superseded_uploads s
      where s.upload_id = ev.upload_id or s.asset_id = ev.asset_id
      limit 1;
    if prev.asset_id is null then
      update public.superseded_uploads set asset_id = ev.asset_id
        where upload_id = prev.upload_id;
      if prev.cleanup_reason is not null then
        perform public.mux_cleanup_enqueue(
          'delete_asset', ev.asset_id, prev.lesson_id, prev.cleanup_reason);
      end if;
    end if;
  end if;
  if ev.type = 'video.asset.deleted' and ev.asset_id is not null then
    perform public.mux_cleanup_close_deleted(ev);
    perform public.mux_forget_asset_parts(ev.asset_id);
  end if;
end $$;

-- Track and rendition events: parts of an asset, which they name at `data.asset_id`. They
-- change only the lesson's current asset (not yet deleted); parts of a superseded asset are
-- recorded and ignored, parts of an asset no lesson carries yet are parked.
create function public.mux_apply_asset_part(
  ev public.mux_events, out verdict public.mux_event_state, out matched_lesson uuid,
  out note text)
  language plpgsql set search_path = '' as $$
declare
  d jsonb := ev.payload -> 'data';
  l public.lessons;
  step text := split_part(ev.type, '.', 4);
  changed boolean := false;
  f jsonb;
begin
  verdict := 'applied';
  select * into l from public.lessons where mux_asset_id = ev.asset_id for update;
  if l.id is null then
    select s.lesson_id into matched_lesson from public.superseded_uploads s
      where s.asset_id = ev.asset_id limit 1;
    if matched_lesson is not null then
      verdict := 'ignored';
      note := 'asset ' || ev.asset_id || ' is superseded';
    else
      verdict := 'unmatched';
      note := 'no lesson carries this asset yet';
    end if;
    return;
  end if;
  matched_lesson := l.id;
  if public.lesson_video_stage(l.status, l.mux_upload_id) = 4 then
    verdict := 'ignored';
    note := 'asset already deleted';
    return;
  end if;

  if ev.type like 'video.asset.track.%' then
    if d ->> 'type' is distinct from 'text' then
      note := 'not a text track';
      return;
    end if;
    changed := public.mux_upsert_text_track(
      l.mux_asset_id, d, case step when 'created' then 'preparing' else step end);
  elsif ev.type like 'video.asset.static\_rendition.%' then
    changed := public.mux_upsert_download(
      l.mux_asset_id, d ->> 'name', d ->> 'resolution', d ->> 'ext',
      case step when 'created' then 'preparing' else step end);
  else
    -- The older asset-level events: the asset, its files in static_renditions.files.
    for f in
      select x from jsonb_array_elements(
        case when jsonb_typeof(d -> 'static_renditions' -> 'files') = 'array'
             then d -> 'static_renditions' -> 'files' else '[]'::jsonb end) as x
    loop
      changed := public.mux_upsert_download(
        l.mux_asset_id, f ->> 'name', f ->> 'resolution', f ->> 'ext', step) or changed;
    end loop;
    if step = 'deleted' then
      update public.lesson_downloads set status = 'deleted', updated_at = now()
        where asset_id = l.mux_asset_id and status <> 'deleted';
      changed := found or changed;
    end if;
  end if;
  if changed then
    -- The live stream and the operator page hear of it through the lesson's version.
    update public.lessons set video_version = video_version + 1 where id = l.id;
  else
    note := 'already known';
  end if;
end $$;

-- --- author actions ---------------------------------------------------------------------------

-- The lesson, locked as every event for its upload locks it (the upload's lock, then the row).
create function public.mux_lock_lesson_video(p_lesson_id uuid) returns public.lessons
  language plpgsql set search_path = '' as $$
declare
  l public.lessons;
begin
  select * into l from public.lessons where id = p_lesson_id;
  if not found then
    raise exception 'lesson % does not exist', p_lesson_id using errcode = 'no_data_found';
  end if;
  if l.mux_upload_id is not null then
    perform public.mux_lock_upload(l.mux_upload_id);
  end if;
  select * into l from public.lessons where id = p_lesson_id for update;
  return l;
end $$;

-- The lesson without a video: draft, no upload, asset or playback.
create function public.mux_clear_video(p_lesson_id uuid) returns public.lessons
  language sql set search_path = '' as $$
  update public.lessons set
      mux_upload_id = null, mux_asset_id = null, status = 'draft', mux_playback_id = null,
      playback_policy = null, duration_seconds = null, aspect_ratio = null, video_error = null
    where id = p_lesson_id
    returning *
$$;

-- `DELETE /api/lessons/{id}/upload`: the direct upload in flight is given up. The lesson
-- returns to what it had before it: the previous video, if one was still playing, else
-- draft. The upload joins the superseded ones (its late events are ignored) and its
-- cancellation at Mux is scheduled. Raises ML001 when no upload is in flight.
create function public.mux_cancel_upload(p_lesson_id uuid)
  returns public.lessons
  language plpgsql set search_path = '' as $$
declare
  l public.lessons;
  prev public.superseded_uploads;
begin
  l := public.mux_lock_lesson_video(p_lesson_id);
  if l.status <> 'uploading' or l.mux_upload_id is null then
    raise exception 'lesson % has no upload in progress', p_lesson_id
      using errcode = 'ML001';
  end if;

  if l.mux_playback_id is not null then
    select * into prev from public.superseded_uploads s
      where s.lesson_id = l.id and s.playback_id = l.mux_playback_id
        and s.cleanup_reason is null
      order by s.superseded_at desc
      limit 1;
  end if;

  insert into public.superseded_uploads (upload_id, lesson_id, cleanup_reason)
    values (l.mux_upload_id, l.id, 'cancelled');
  perform public.mux_cleanup_enqueue('cancel_upload', l.mux_upload_id, l.id, 'cancelled');

  if prev.upload_id is not null then
    delete from public.superseded_uploads where upload_id = prev.upload_id;
    update public.lessons set
        mux_upload_id = prev.upload_id, mux_asset_id = prev.asset_id, status = 'published',
        video_error = null
      where id = l.id
      returning * into l;
  else
    l := public.mux_clear_video(l.id);
  end if;
  return l;
end $$;

-- `DELETE /api/lessons/{id}/video`: the lesson goes back to draft at once, and every Mux
-- object it ever had (current and superseded assets, an upload in flight) is scheduled for
-- cleanup. Raises ML002 when the lesson has no video.
create function public.mux_remove_video(p_lesson_id uuid)
  returns public.lessons
  language plpgsql set search_path = '' as $$
declare
  l public.lessons;
begin
  l := public.mux_lock_lesson_video(p_lesson_id);
  if l.mux_upload_id is null and l.mux_asset_id is null and l.mux_playback_id is null then
    raise exception 'lesson % has no video', p_lesson_id
      using errcode = 'ML002';
  end if;

  if l.mux_upload_id is not null then
    insert into public.superseded_uploads
        (upload_id, lesson_id, asset_id, playback_id, cleanup_reason)
      values (l.mux_upload_id, l.id, l.mux_asset_id, l.mux_playback_id, 'removed');
    if l.status = 'uploading' then
      perform public.mux_cleanup_enqueue('cancel_upload', l.mux_upload_id, l.id, 'removed');
    end if;
  end if;
  if l.mux_asset_id is not null then
    perform public.mux_cleanup_enqueue('delete_asset', l.mux_asset_id, l.id, 'removed');
  end if;
  perform public.mux_cleanup_superseded(l.id, 'removed');

  return public.mux_clear_video(l.id);
end $$;

-- A lesson deleted by any path takes its Mux objects with it. BEFORE DELETE, so the
-- superseded uploads (deleted with the lesson by cascade) are still there to read; runs as
-- its owner because the API roles cannot see the outbox.
create function public.lessons_cleanup_on_delete() returns trigger
  language plpgsql security definer set search_path = '' as $$
declare
  s public.superseded_uploads;
begin
  if old.mux_asset_id is not null then
    perform public.mux_cleanup_enqueue('delete_asset', old.mux_asset_id, old.id,
                                       'lesson_deleted');
  elsif old.mux_upload_id is not null and old.status = 'uploading' then
    perform public.mux_cleanup_enqueue('cancel_upload', old.mux_upload_id, old.id,
                                       'lesson_deleted');
  end if;
  for s in select * from public.superseded_uploads su where su.lesson_id = old.id loop
    if s.asset_id is not null then
      perform public.mux_cleanup_enqueue('delete_asset', s.asset_id, old.id,
                                         coalesce(s.cleanup_reason, 'lesson_deleted'));
    end if;
  end loop;
  return old;
end $$;

create trigger lessons_cleanup_on_delete before delete on public.lessons
  for each row execute function public.lessons_cleanup_on_delete();

-- --- the worker's side -------------------------------------------------------------------------

-- Claims one due cleanup for the caller's transaction (other workers skip it while it is
-- held; a worker killed mid-call releases it with its connection). Deletions of replaced
-- assets wait out the retention period first. `p_lesson_id` limits it to one lesson's (an
-- author route carrying out at once what it just scheduled).
create function public.mux_cleanup_claim(p_retention interval, p_lesson_id uuid default null)
  returns setof public.mux_cleanups
  language sql set search_path = '' as $$
  select * from public.mux_cleanups c
    where c.state in ('pending', 'failed') and c.next_attempt_at <= now()
      and (c.reason <> 'replaced' or c.created_at <= now() - p_retention)
      and (p_lesson_id is null or c.lesson_id = p_lesson_id)
    order by c.next_attempt_at, c.id
    limit 1
    for update skip locked
$$;

-- Records what Mux said: done, or a retry with exponential backoff and jitter, `dead` after
-- p_max_attempts. `p_follow_up_asset` schedules an asset found behind a cancelled upload.
create function public.mux_cleanup_finish(
  p_id bigint, p_done boolean, p_message text, p_max_attempts integer,
  p_base_delay_seconds double precision, p_max_delay_seconds double precision,
  p_follow_up_asset text default null)
  returns public.mux_cleanups
  language plpgsql set search_path = '' as $$
declare
  c public.mux_cleanups;
begin
  update public.mux_cleanups m set
      attempts = m.attempts + 1,
      state = (case when p_done then 'done'
                    when m.attempts + 1 >= p_max_attempts then 'dead'
                    else 'failed' end)::public.mux_cleanup_state,
      outcome = case when p_done then p_message else m.outcome end,
      last_error = case when p_done then null else p_message end,
      done_at = case when p_done then now() end,
      next_attempt_at = case when p_done then m.next_attempt_at
        else now() + make_interval(secs =>
          least(p_max_delay_seconds, p_base_delay_seconds * 2 ^ m.attempts)
          * (0.5 + random() / 2)) end
    where m.id = p_id
    returning m.* into c;
  if p_done and c.action = 'delete_asset' then
    perform public.mux_forget_asset_parts(c.object_id);
  end if;
  if p_follow_up_asset is not null then
    perform public.mux_cleanup_enqueue('delete_asset', p_follow_up_asset, c.lesson_id, c.reason);
    update public.superseded_uploads set asset_id = p_follow_up_asset
      where upload_id = c.object_id and asset_id is null;
  end if;
  return c;
end $$;

-- An operator's replay: a failed or dead cleanup is due again now.
create function public.mux_cleanup_replay(p_id bigint) returns setof public.mux_cleanups
  language sql set search_path = '' as $$
  update public.mux_cleanups set state = 'pending', next_attempt_at = now()
    where id = p_id and state in ('failed', 'dead', 'pending')
    returning *
$$;

-- Every asset id the service still knows (current or superseded): the orphan sweep spares these.
create function public.mux_known_asset_ids(p_asset_ids text[]) returns setof text
  language sql stable set search_path = '' as $$
  select a from unnest(p_asset_ids) as a
    where exists (select 1 from public.lessons l where l.mux_asset_id = a)
       or exists (select 1 from public.superseded_uploads s
                    where s.asset_id = a and s.cleanup_reason is null)
       or exists (select 1 from public.mux_cleanups c
                    where c.action = 'delete_asset' and c.object_id = a
                      and c.state in ('pending', 'failed'))
$$;

-- The orphan sweep's --delete: schedules the deletion of those assets that are still unknown
-- (checked again here, in the transaction that schedules them); returns how many.
create function public.mux_cleanup_enqueue_orphans(p_asset_ids text[]) returns integer
  language plpgsql set search_path = '' as $$
declare
  a text;
  n integer := 0;
begin
  for a in
    select x from unnest(p_asset_ids) as x
    except
    select public.mux_known_asset_ids(p_asset_ids)
  loop
    perform public.mux_cleanup_enqueue('delete_asset', a, null, 'orphan');
    n := n + 1;
  end loop;
  return n;
end $$;

revoke all on function
  public.mux_forget_asset_parts(text),
  public.mux_lock_lesson_video(uuid),
  public.mux_clear_video(uuid),
  public.mux_apply(public.mux_events, text),
  public.mux_apply_asset_part(public.mux_events),
  public.mux_cleanup_close_deleted(public.mux_events),
  public.mux_apply_parked_for_asset(text, text),
  public.mux_cleanup_enqueue_orphans(text[]),
  public.mux_cleanup_enqueue(text, text, uuid, text),
  public.mux_cleanup_superseded(uuid, text),
  public.mux_media_rank(text),
  public.mux_upsert_text_track(text, jsonb, text),
  public.mux_upsert_download(text, text, text, text, text),
  public.mux_cancel_upload(uuid),
  public.mux_remove_video(uuid),
  public.lessons_cleanup_on_delete(),
  public.mux_cleanup_claim(interval, uuid),
  public.mux_cleanup_finish(bigint, boolean, text, integer, double precision,
                            double precision, text),
  public.mux_cleanup_replay(bigint),
  public.mux_known_asset_ids(text[])
  from public, anon, authenticated;
grant execute on function
  public.mux_cancel_upload(uuid),
  public.mux_remove_video(uuid),
  public.mux_cleanup_claim(interval, uuid),
  public.mux_cleanup_finish(bigint, boolean, text, integer, double precision,
                            double precision, text),
  public.mux_cleanup_replay(bigint),
  public.mux_known_asset_ids(text[]),
  public.mux_cleanup_enqueue_orphans(text[])
  to service_role;
