-- The lesson video state machine: the one definition of how Mux events move a lesson.
--
-- Order independence: for the lesson's current upload, a lesson's stage only moves forward:
--   uploading (1) < processing (2) < published | errored | cancelled (3) < asset deleted (4)
-- so a late or duplicate event can never pull a lesson back. Events about an upload the
-- lesson has moved on from are recorded and ignored; events nobody carries yet are parked
-- as `unmatched` until an attach re-applies them.
--
-- The transitions are one function, mux_transition (an event and a lesson in, the lesson
-- it becomes out), and mux_apply_part_to for caption tracks and downloads. Two paths apply
-- them: a batch as a set (mux_ingest_batch_set, 20_inbox.sql: each lesson locked once, its
-- events folded into one UPDATE) and one event at a time (mux_apply: the worker, replay,
-- attach, and what the set cannot decide). What the video's whole life adds around them
-- (cleanups, parked parts) is in mux_apply; the author's actions (cancel, remove) follow.
--
-- Small pure-SQL helpers carry no `set search_path`: a SET clause stops PostgreSQL from
-- inlining a function and costs a GUC save/restore per call. They are SECURITY INVOKER, use
-- only built-in operators and functions, and API roles cannot execute them.

-- Uploads a lesson has moved on from; their later events are recognised and ignored.
-- `cleanup_reason` says whether (and why) their Mux objects are to be cleaned up: null while
-- the upload may still come back (a replacement not yet published).
create table public.superseded_uploads (
  upload_id text primary key,
  lesson_id uuid not null references public.lessons (id) on delete cascade,
  asset_id text,
  playback_id text,
  superseded_at timestamptz not null default now(),
  cleanup_reason text
    check (cleanup_reason in ('replaced', 'removed', 'cancelled', 'lesson_deleted'))
);
create index superseded_uploads_asset_idx on public.superseded_uploads (asset_id);
create index superseded_uploads_lesson_idx on public.superseded_uploads (lesson_id);
alter table public.superseded_uploads enable row level security;
revoke all on public.superseded_uploads from anon, authenticated;
grant all on public.superseded_uploads to service_role;

-- Captions and downloads of an asset (readable exactly when the lesson playing that asset
-- is: 90_access.sql).
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

-- --- the transitions -------------------------------------------------------------------------

-- What the state machine makes of an event type: 'lesson' (an upload's or asset's step),
-- 'part' (a caption track or download of an asset) or null (not used by this service).
create function public.mux_event_kind(p_type text) returns text
  language sql immutable as $$
  select case
    when p_type in ('video.upload.created', 'video.upload.asset_created',
                    'video.upload.cancelled', 'video.upload.errored', 'video.asset.created',
                    'video.asset.ready', 'video.asset.errored', 'video.asset.deleted')
      then 'lesson'
    when p_type like 'video.asset.track.%' or p_type like 'video.asset.static\_rendition%'
      then 'part'
  end
$$;

create function public.lesson_video_stage(p_status public.lesson_video_status, p_upload_id text)
  returns integer language sql immutable as $$
  select case p_status
    when 'uploading' then 1
    when 'processing' then 2
    when 'published' then 3
    when 'errored' then 3
    when 'cancelled' then 3
    -- a lesson that carries an upload but is back to draft lost its asset (deleted)
    else case when p_upload_id is null then 0 else 4 end
  end
$$;

create function public.mux_error_text(p_errors jsonb) returns text
  language sql immutable as $$
  select nullif(concat_ws(': ',
    p_errors ->> 'type',
    coalesce(
      (select string_agg(m, '; ') from jsonb_array_elements_text(
         case when jsonb_typeof(p_errors -> 'messages') = 'array'
              then p_errors -> 'messages' else '[]'::jsonb end) as m),
      p_errors ->> 'message')), '')
$$;

-- The transitions: what one event of the lesson's current upload or asset does to the
-- lesson, as a value (nothing is written). For the current upload a lesson only moves
-- forward (uploading < processing < published | errored | cancelled < asset deleted), so a
-- late or duplicate event changes nothing. An event that cannot be applied is `failed`
-- with the error, the lesson unchanged.
create function public.mux_transition(
  l public.lessons, ev public.mux_events, p_preferred_policy text,
  out lesson public.lessons, out verdict public.mux_event_state, out note text,
  out error text)
  language plpgsql immutable as $$
declare
  d jsonb := ev.payload -> 'data';
  stage integer := public.lesson_video_stage(l.status, l.mux_upload_id);
  playback jsonb;
begin
  lesson := l;
  verdict := 'applied';
  if l.mux_asset_id is not null and ev.asset_id is not null and l.mux_asset_id <> ev.asset_id then
    verdict := 'ignored';
    note := 'asset ' || ev.asset_id || ' is not the lesson''s current asset';
    return;
  end if;
  case ev.type
    when 'video.upload.created' then
      note := 'recorded';
    when 'video.upload.asset_created', 'video.asset.created' then
      if stage < 2 then
        lesson.status := 'processing';
        lesson.mux_asset_id := ev.asset_id;
      elsif l.mux_asset_id is null and ev.asset_id is not null then
        lesson.mux_asset_id := ev.asset_id;
        note := 'asset id recorded; lesson already past processing';
      else
        note := 'lesson already past processing';
      end if;
    when 'video.asset.ready' then
      if stage < 3 then
        -- the first playback id of the configured policy, else the first (expressions, not
        -- a query: this runs once per ready event)
        if jsonb_typeof(d -> 'playback_ids') = 'array' then
          playback := coalesce(
            jsonb_path_query_first(d, '$.playback_ids[*] ? (@.id != null && @.policy == $p)',
                                   jsonb_build_object('p', p_preferred_policy)),
            jsonb_path_query_first(d, '$.playback_ids[*] ? (@.id != null)'));
        end if;
        if playback is null then
          verdict := 'failed';
          error := format('video.asset.ready for asset %s carries no playback id; check that '
            'new_asset_settings asks for a playback policy', coalesce(ev.asset_id, '<NULL>'));
          return;
        end if;
        lesson.status := 'published';
        lesson.mux_asset_id := ev.asset_id;
        lesson.mux_playback_id := playback ->> 'id';
        lesson.playback_policy := playback ->> 'policy';
        lesson.duration_seconds := (d ->> 'duration')::double precision;
        lesson.aspect_ratio := d ->> 'aspect_ratio';
        lesson.video_error := null;
      else
        note := 'lesson already final';
      end if;
    when 'video.asset.errored' then
      if stage < 3 then
        lesson.status := 'errored';
        lesson.mux_asset_id := coalesce(l.mux_asset_id, ev.asset_id);
        lesson.video_error := coalesce(public.mux_error_text(d -> 'errors'),
                                       'Mux could not process the video');
      else
        note := 'lesson already final';
      end if;
    when 'video.upload.errored' then
      if stage < 3 then
        lesson.status := 'errored';
        lesson.video_error := coalesce(public.mux_error_text(d -> 'error'), 'the upload failed');
      else
        note := 'lesson already final';
      end if;
    when 'video.upload.cancelled' then
      if stage < 3 then
        lesson.status := 'cancelled';
        lesson.video_error := case when d ->> 'status' = 'timed_out'
                                   then 'the upload timed out before a file arrived'
                                   else 'the upload was cancelled' end;
      else
        note := 'lesson already final';
      end if;
    when 'video.asset.deleted' then
      if stage < 4 then
        lesson.status := 'draft';
        lesson.mux_asset_id := coalesce(l.mux_asset_id, ev.asset_id);
        lesson.mux_playback_id := null;
        lesson.playback_policy := null;
        lesson.video_error := null;
      else
        note := 'asset already deleted';
      end if;
  end case;
end $$;

-- A duration or playback policy the lessons table would refuse (its checks) is left to the
-- per-event path, which stores that one event `failed`.
create function public.mux_ready_fits(d jsonb) returns boolean
  language sql immutable as $$
  select (d ->> 'duration' is null or d ->> 'duration' ~ '^[0-9]{1,250}(\.[0-9]{1,250})?$')
     and not jsonb_path_exists(d, '$.playback_ids[*] ? (@.policy.type() == "string"
           && @.policy != "public" && @.policy != "signed" && @.policy != "drm")')
$$;

-- Rank of a track or rendition status: it only moves forward.
create function public.mux_media_rank(p_status text) returns integer
  language sql immutable as $$
  select case p_status
    when 'preparing' then 1
    when 'ready' then 2 when 'errored' then 2 when 'skipped' then 2
    when 'deleted' then 3
    else 0 end
$$;

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

-- A caption track or download event applied to the lesson that plays its asset (found and
-- locked by the caller): the part only moves forward (preparing < ready | errored | skipped
-- < deleted). `changed` says whether the lesson's video version is to move.
create function public.mux_apply_part_to(
  l public.lessons, ev public.mux_events,
  out verdict public.mux_event_state, out note text, out changed boolean)
  language plpgsql set search_path = '' as $$
declare
  d jsonb := ev.payload -> 'data';
  step text := split_part(ev.type, '.', 4);
  f jsonb;
begin
  verdict := 'applied';
  changed := false;
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
  if not changed then
    note := 'already known';
  end if;
end $$;

-- --- one event at a time ------------------------------------------------------------------

-- Every event and attach concerning one upload takes this lock first (then the lesson row),
-- so an attach and a webhook racing for a brand-new upload cannot miss each other.
create function public.mux_lock_upload(p_upload_id text) returns void
  language sql as $$
  select pg_advisory_xact_lock(hashtextextended('mux-upload:' || p_upload_id, 0))
$$;

-- The per-event path, unchanged in effect: lock, find the lesson (or the superseded upload,
-- or park the event), then the transitions above and the lesson's UPDATE.
create function public.mux_apply_transitions(
  ev public.mux_events, p_preferred_policy text,
  out verdict public.mux_event_state, out matched_lesson uuid, out note text)
  language plpgsql set search_path = '' as $$
declare
  l public.lessons;
  prev public.superseded_uploads;
  r record;
begin
  if public.mux_event_kind(ev.type) is distinct from 'lesson' then
    verdict := 'ignored';
    note := 'event type not used by this service';
    return;
  end if;

  if ev.upload_id is not null then
    perform public.mux_lock_upload(ev.upload_id);
    select * into l from public.lessons where mux_upload_id = ev.upload_id for update;
  end if;
  if l.id is null and ev.asset_id is not null then
    select * into l from public.lessons where mux_asset_id = ev.asset_id for update;
  end if;

  if l.id is null then
    select * into prev from public.superseded_uploads s
      where s.upload_id = ev.upload_id or (ev.asset_id is not null and s.asset_id = ev.asset_id)
      limit 1;
    if prev.upload_id is not null then
      -- The old video may still be what the lesson plays until the new asset is ready.
      if ev.type = 'video.asset.deleted' and prev.playback_id is not null then
        update public.lessons set mux_playback_id = null, playback_policy = null
          where id = prev.lesson_id and mux_playback_id = prev.playback_id;
      end if;
      verdict := 'ignored';
      note := 'superseded upload ' || prev.upload_id;
      matched_lesson := prev.lesson_id;
      return;
    end if;
    verdict := 'unmatched';
    note := 'no lesson carries this upload or asset yet';
    return;
  end if;

  matched_lesson := l.id;
  select * into r from public.mux_transition(l, ev, p_preferred_policy);
  if r.verdict = 'failed' then
    raise exception '%', r.error;
  end if;
  verdict := r.verdict;
  note := r.note;
  if r.lesson is distinct from l then
    update public.lessons set
        status = (r.lesson).status,
        mux_asset_id = (r.lesson).mux_asset_id,
        mux_playback_id = (r.lesson).mux_playback_id,
        playback_policy = (r.lesson).playback_policy,
        duration_seconds = (r.lesson).duration_seconds,
        aspect_ratio = (r.lesson).aspect_ratio,
        video_error = (r.lesson).video_error
      where id = l.id;
  end if;
end $$;

create function public.mux_apply_asset_part(
  ev public.mux_events, out verdict public.mux_event_state, out matched_lesson uuid,
  out note text)
  language plpgsql set search_path = '' as $$
declare
  l public.lessons;
  changed boolean;
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
  select r.verdict, r.note, r.changed into verdict, note, changed
    from public.mux_apply_part_to(l, ev) r;
  if changed then
    -- The live stream and the operator page hear of it through the lesson's version.
    update public.lessons set video_version = video_version + 1 where id = l.id;
  end if;
end $$;

-- An asset gone from Mux takes its captions and downloads with it.
create function public.mux_forget_asset_parts(p_asset_id text) returns void
  language sql as $$
  delete from public.lesson_text_tracks where asset_id = p_asset_id;
  delete from public.lesson_downloads where asset_id = p_asset_id;
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

-- Marks the superseded uploads of these lessons for cleanup and schedules their known
-- assets, in one statement; mux_cleanup_superseded is the one-lesson case.
create function public.mux_cleanup_superseded_set(p_lesson_ids uuid[], p_reason text)
  returns void
  language plpgsql set search_path = '' as $$
begin
  with marked as (
    update public.superseded_uploads su set cleanup_reason = p_reason
      where su.lesson_id = any(p_lesson_ids) and su.cleanup_reason is null
      returning su.asset_id, su.lesson_id)
  insert into public.mux_cleanups (action, object_id, lesson_id, reason)
    select 'delete_asset', m.asset_id, m.lesson_id, p_reason from marked m
      where m.asset_id is not null
    on conflict (action, object_id) do nothing;
end $$;

create function public.mux_cleanup_superseded(p_lesson_id uuid, p_reason text)
  returns void
  language plpgsql set search_path = '' as $$
begin
  perform public.mux_cleanup_superseded_set(array[p_lesson_id], p_reason);
end $$;

-- The transitions wrapped with what the video's whole life adds: cleanups scheduled, parked
-- caption and download events applied, an asset's parts forgotten once it is deleted. Every
-- per-event caller (ingest, worker, replay, attach, reconcile) calls mux_apply.
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

-- Makes p_upload_id the lesson's current upload (superseding any earlier one) and applies
-- the events parked for it, so the lesson ends in the state they imply.
create function public.mux_attach_upload(
  p_lesson_id uuid, p_upload_id text, p_preferred_policy text)
  returns public.lessons
  language plpgsql set search_path = '' as $$
declare
  l public.lessons;
  parked text;
begin
  perform public.mux_lock_upload(p_upload_id);
  select * into l from public.lessons where id = p_lesson_id for update;
  if not found then
    raise exception 'lesson % does not exist', p_lesson_id using errcode = 'no_data_found';
  end if;
  if l.mux_upload_id is distinct from p_upload_id then
    if exists (select 1 from public.lessons where mux_upload_id = p_upload_id)
       or exists (select 1 from public.superseded_uploads where upload_id = p_upload_id) then
      raise exception 'upload % already belongs to a lesson', p_upload_id
        using errcode = 'unique_violation';
    end if;
    if l.mux_upload_id is not null then
      insert into public.superseded_uploads (upload_id, lesson_id, asset_id, playback_id)
        values (l.mux_upload_id, l.id, l.mux_asset_id, l.mux_playback_id);
    end if;
    -- The previous playback id stays until the new asset is ready.
    update public.lessons
      set mux_upload_id = p_upload_id, mux_asset_id = null, status = 'uploading',
          video_error = null
      where id = l.id;
  end if;

  for parked in
    select e.id from public.mux_events e
      where e.state = 'unmatched' and e.upload_id = p_upload_id
      order by e.mux_created_at nulls last, e.received_at
  loop
    perform public.mux_process_event(parked, p_preferred_policy);
  end loop;
  -- Asset events that name only the asset the upload events just revealed.
  for parked in
    select e.id from public.mux_events e, public.lessons cur
      where cur.id = p_lesson_id and e.state = 'unmatched' and e.upload_id is null
        and e.asset_id = cur.mux_asset_id
      order by e.mux_created_at nulls last, e.received_at
  loop
    perform public.mux_process_event(parked, p_preferred_policy);
  end loop;

  select * into l from public.lessons where id = p_lesson_id;
  return l;
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

revoke all on function
  public.mux_event_kind(text),
  public.lesson_video_stage(public.lesson_video_status,text),
  public.mux_error_text(jsonb),
  public.mux_transition(public.lessons,public.mux_events,text),
  public.mux_ready_fits(jsonb),
  public.mux_media_rank(text),
  public.mux_upsert_text_track(text,jsonb,text),
  public.mux_upsert_download(text,text,text,text,text),
  public.mux_apply_part_to(public.lessons,public.mux_events),
  public.mux_lock_upload(text),
  public.mux_apply_transitions(public.mux_events,text),
  public.mux_apply_asset_part(public.mux_events),
  public.mux_forget_asset_parts(text),
  public.mux_apply_parked_for_asset(text,text),
  public.mux_cleanup_superseded_set(uuid[],text),
  public.mux_cleanup_superseded(uuid,text),
  public.mux_apply(public.mux_events,text),
  public.mux_attach_upload(uuid,text,text),
  public.mux_lock_lesson_video(uuid),
  public.mux_clear_video(uuid),
  public.mux_cancel_upload(uuid),
  public.mux_remove_video(uuid),
  public.lessons_cleanup_on_delete()
  from public, anon, authenticated;

grant execute on function
  public.mux_attach_upload(uuid,text,text),
  public.mux_cancel_upload(uuid),
  public.mux_remove_video(uuid)
  to service_role;
