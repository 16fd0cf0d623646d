-- A batch of webhook deliveries applied as a set (issue 31; figures in docs/benchmarks.md).
--
-- mux_ingest_batch applies a batch event by event: per event an advisory lock, a lookup, a
-- chain of function calls, an inbox row and a lesson UPDATE. mux_ingest_batch_set does the same
-- work once per batch: the new events' ids and uploads locked in one statement each, the
-- lessons they touch locked once each in one global order (by id), each lesson's events of
-- the batch folded in their order into one resulting state (mux_transition, the one
-- definition of what an event does to a lesson), one UPDATE of every lesson changed (so one
-- change notification per lesson), the superseded assets of published lessons scheduled for
-- deletion in one statement, and the inbox rows inserted once, with their outcomes, in one
-- statement. A duplicate event id changes nothing.
--
-- What a set cannot decide goes event by event through mux_ingest_event (the path of every
-- earlier release), each in its own subtransaction so a failure stays with its event, and is
-- reported (`per_event`, counted by the service in /metrics): events no lesson carries yet
-- (parked or superseded), and every event of a lesson whose batch reveals an asset with
-- parked events, names an asset another lesson carries, or carries a value its columns
-- would refuse. A lesson held by a long transaction fails the whole statement (lock
-- timeout); the service then ingests that batch's events one by one, as before.
--
-- mux_apply_transitions and mux_apply_asset_part (the per-event path, which the previous
-- release calls) now use the same transitions (mux_transition, mux_apply_part_to): their
-- signatures and effects are unchanged.
--
-- Expand only. contract in the release after 2026-12-06: mux_ingest_batch_bounded and
-- mux_ingest_batch, the previous release's batch path, which this release no longer calls.

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

-- The per-event path, unchanged in effect: lock, find the lesson (or the superseded upload,
-- or park the event), then the transitions above and the lesson's UPDATE.
create or replace function public.mux_apply_transitions(
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

create or replace function public.mux_apply_asset_part(
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

create or replace function public.mux_cleanup_superseded(p_lesson_id uuid, p_reason text)
  returns void
  language plpgsql set search_path = '' as $$
begin
  perform public.mux_cleanup_superseded_set(array[p_lesson_id], p_reason);
end $$;

-- A duration or playback policy the lessons table would refuse (its checks) is left to the
-- per-event path, which stores that one event `failed`.
create function public.mux_ready_fits(d jsonb) returns boolean
  language sql immutable as $$
  select (d ->> 'duration' is null or d ->> 'duration' ~ '^[0-9]{1,250}(\.[0-9]{1,250})?$')
     and not jsonb_path_exists(d, '$.playback_ids[*] ? (@.policy.type() == "string"
           && @.policy != "public" && @.policy != "signed" && @.policy != "drm")')
$$;

-- Stores and applies a batch of verified events as a set (see the top of this file). One row
-- per input position: `idx` (1-based), whether this call stored it, its state, its lesson,
-- the error when it failed, and whether it went through the per-event path.
create function public.mux_ingest_batch_set(
  p_payloads jsonb[], p_created_at timestamptz[], p_preferred_policy text, p_source text,
  p_lock_timeout text)
  returns table (idx integer, inserted boolean, state public.mux_event_state, lesson_id uuid,
                 error text, per_event boolean)
  -- Its statements are planned once per connection (generic plans: re-planning them for
  -- each batch's arrays cost more than running them), and every lookup is by an indexed
  -- key: read by index even while the inbox is small enough for a scan to look cheaper.
  language plpgsql set search_path = '' set enable_seqscan = off
  set plan_cache_mode = force_generic_plan as $$
#variable_conflict use_column
declare
  n integer := coalesce(cardinality(p_payloads), 0);
  payloads jsonb[] := p_payloads;
  created timestamptz[] := coalesce(p_created_at, array_fill(null::timestamptz, array[n]));
  ids text[];
  types text[];
  kinds text[];
  uploads text[];
  assets text[];
  -- per input position: 'set', 'event' (per-event path), 'stored' (before this call),
  -- 'copy' (of an earlier position of this batch, `copy_of`)
  route text[] := array_fill(null::text, array[n]);
  copy_of integer[] := array_fill(null::integer, array[n]);
  o_state public.mux_event_state[] := array_fill(null::public.mux_event_state, array[n]);
  o_lesson uuid[] := array_fill(null::uuid, array[n]);
  o_note text[] := array_fill(null::text, array[n]);
  o_error text[] := array_fill(null::text, array[n]);
  slot integer[] := array_fill(null::integer, array[n]);
  -- per lesson (slot): the row as locked, then as folded
  held public.lessons[] := '{}';
  dirty boolean[];
  bump boolean[];
  slow boolean[];
  replaced uuid[] := '{}';
  l public.lessons;
  ev public.mux_events;
  r record;
  i integer;
  k integer;
  msg text;
begin
  perform set_config('lock_timeout', p_lock_timeout, true);
  select array_agg(x.p ->> 'id' order by x.i), array_agg(x.p ->> 'type' order by x.i),
         array_agg(public.mux_event_kind(x.p ->> 'type') order by x.i),
         array_agg(public.mux_event_upload_id(x.p ->> 'type', x.p) order by x.i),
         array_agg(public.mux_event_asset_id(x.p ->> 'type', x.p) order by x.i)
    into ids, types, kinds, uploads, assets
    from unnest(payloads) with ordinality as x(p, i);

  -- Stored once: deliveries of one id (here, in another batch, in the previous release's
  -- mux_ingest_event) take turns on its lock; those stored already change nothing, nor do
  -- later copies in this batch.
  perform public.mux_lock_event(s.id)
    from (select distinct x.id from unnest(ids) as x(id) order by 1) s;
  for r in
    select s.i, s.f, e.state as st, e.lesson_id as lid
      from (select x.id, x.i::integer as i, (min(x.i) over (partition by x.id))::integer as f
              from unnest(ids) with ordinality as x(id, i)) s
      left join public.mux_events e on e.id = s.id
      where e.id is not null or s.i <> s.f
  loop
    if r.i <> r.f then
      route[r.i] := 'copy';
      copy_of[r.i] := r.f;
    else
      route[r.i] := 'stored';
      o_state[r.i] := r.st;
      o_lesson[r.i] := r.lid;
    end if;
  end loop;
  for i in 1 .. n loop
    if route[i] is null and kinds[i] is null then
      route[i] := 'set';
      o_state[i] := 'ignored';
      o_note[i] := 'event type not used by this service';
    end if;
  end loop;

  -- Lock order: the uploads (as every path does, before any lesson), then the lessons by id.
  perform public.mux_lock_upload(s.u)
    from (select distinct x.u from unnest(route, kinds, uploads) as x(route, kind, u)
            where x.route is null and x.kind = 'lesson' and x.u is not null
            order by 1) s;
  for l in
    select * from public.lessons le
      where le.mux_upload_id = any(uploads) or le.mux_asset_id = any(assets)
      order by le.id
      for update
  loop
    held := held || l;
  end loop;
  k := greatest(cardinality(held), 1);
  slow := array_fill(false, array[k]);
  dirty := array_fill(false, array[k]);
  bump := array_fill(false, array[k]);
  -- Each new event's lesson, as mux_apply_transitions and mux_apply_asset_part find it, and
  -- what the set cannot decide, which takes the lesson's events to the per-event path: a
  -- step that would leave its lesson without an asset, an asset with parked events (applied
  -- after the event that reveals it), a ready event the lessons table would refuse, an
  -- asset another lesson carries. (Two lessons
  -- taking one new asset, which Mux never does, fail the UPDATE: the service then ingests
  -- the batch event by event.)
  for r in
    with h as (select s.mux_upload_id, s.mux_asset_id, s.ordinality::integer as k
                 from unnest(held) with ordinality as s)
    select x.i::integer as i, coalesce(bu.k, ba.k) as k,
           (x.t in ('video.upload.asset_created', 'video.asset.created', 'video.asset.ready')
              and (x.a is null or x.a in (
                select e.asset_id from public.mux_events e
                  where e.state = 'unmatched' and e.asset_id = any(assets))))
           or (x.t = 'video.asset.ready' and not public.mux_ready_fits(x.p -> 'data'))
           or (bu.k is not null and ba.k is not null and bu.k <> ba.k) as undecided
      from unnest(route, kinds, types, uploads, assets, payloads)
             with ordinality as x(route, kind, t, u, a, p, i)
      left join h bu on x.kind = 'lesson' and bu.mux_upload_id = x.u
      left join h ba on ba.mux_asset_id = x.a
      where x.route is null
  loop
    if r.k is null then
      route[r.i] := 'event';
    else
      slot[r.i] := r.k;
      if r.undecided then
        slow[r.k] := true;
      end if;
    end if;
  end loop;

  -- The fold: each lesson's events in their order, applied to the lesson as a value.
  for i in 1 .. n loop
    k := slot[i];
    continue when k is null;
    if slow[k] then
      route[i] := 'event';
      continue;
    end if;
    route[i] := 'set';
    l := held[k];
    ev.id := ids[i];
    ev.type := types[i];
    ev.payload := payloads[i];
    ev.upload_id := uploads[i];
    ev.asset_id := assets[i];
    if kinds[i] = 'part' then
      r := public.mux_apply_part_to(l, ev);
      o_state[i] := r.verdict;
      o_note[i] := r.note;
      o_lesson[i] := l.id;
      if r.changed then
        bump[k] := true;
        dirty[k] := true;
      end if;
      continue;
    end if;
    r := public.mux_transition(l, ev, p_preferred_policy);
    o_state[i] := r.verdict;
    o_note[i] := r.note;
    o_error[i] := r.error;
    if r.verdict <> 'failed' then
      o_lesson[i] := l.id;
      if r.lesson is distinct from l then
        held[k] := r.lesson;
        dirty[k] := true;
      end if;
      if r.verdict = 'applied' and r.note is null
         and ev.type in ('video.asset.ready', 'video.asset.deleted') then
        -- The replacement plays (or nothing plays any more): what the lesson moved on from
        -- can go.
        replaced := replaced || l.id;
      end if;
    end if;
    if ev.type = 'video.asset.deleted' and ev.asset_id is not null then
      perform public.mux_cleanup_close_deleted(ev);
      perform public.mux_forget_asset_parts(ev.asset_id);
    end if;
  end loop;

  -- One UPDATE for every lesson changed: one change notification each.
  update public.lessons le set
      status = s.status,
      mux_asset_id = s.mux_asset_id,
      mux_playback_id = s.mux_playback_id,
      playback_policy = s.playback_policy,
      duration_seconds = s.duration_seconds,
      aspect_ratio = s.aspect_ratio,
      video_error = s.video_error,
      video_version = le.video_version + case when bump[s.ordinality::integer] then 1 else 0 end
    from unnest(held) with ordinality as s
    where le.id = s.id and dirty[s.ordinality::integer];
  if cardinality(replaced) > 0 then
    perform public.mux_cleanup_superseded_set(replaced, 'replaced');
  end if;

  insert into public.mux_events
      (id, type, payload, mux_created_at, source, state, attempts, outcome, last_error,
       lesson_id, processed_at)
    select x.id, x.type, x.payload, x.created_at, p_source, x.state, 1, x.note, x.error,
           x.lesson_id, now()
      from unnest(ids, types, payloads, created, o_state, o_note, o_error, o_lesson, route)
             as x(id, type, payload, created_at, state, note, error, lesson_id, route)
      where x.route = 'set';

  -- The per-event path, after the set (a lesson may carry an asset only since then), each
  -- event in a subtransaction of its own: an error fails that event only.
  for i in 1 .. n loop
    continue when route[i] is distinct from 'event';
    begin
      select x.state, x.lesson_id, x.error into r
        from public.mux_ingest_event(payloads[i], p_preferred_policy, p_source, created[i]) x;
    exception when others then
      get stacked diagnostics msg = message_text;
      select x.state, x.lesson_id, x.error into r
        from public.mux_record_failed_event(payloads[i], msg, p_source, created[i]) x;
    end;
    o_state[i] := r.state;
    o_lesson[i] := r.lesson_id;
    o_error[i] := r.error;
  end loop;

  for i in 1 .. n loop
    k := coalesce(copy_of[i], i);
    idx := i;
    inserted := route[i] in ('set', 'event');
    state := o_state[k];
    lesson_id := o_lesson[k];
    error := case when route[i] in ('set', 'event') then o_error[i] end;
    per_event := route[i] = 'event';
    return next;
  end loop;
end $$;

revoke all on function
  public.mux_event_kind(text),
  public.mux_transition(public.lessons, public.mux_events, text),
  public.mux_apply_part_to(public.lessons, public.mux_events),
  public.mux_cleanup_superseded_set(uuid[], text),
  public.mux_ready_fits(jsonb),
  public.mux_ingest_batch_set(jsonb[], timestamptz[], text, text, text)
  from public, anon, authenticated;
grant execute on function public.mux_ingest_batch_set(jsonb[], timestamptz[], text, text, text)
  to service_role;
