-- mux_ingest_batch_set looks up each event's inbox row by a probe of the primary key that
-- the planner cannot turn into a read of the whole index. With statistics taken when the
-- inbox was smaller (a young database, or one analyzed before a burst), its generic plan
-- merged the batch with the inbox's entire primary key, a cost growing with the inbox: 8 ms
-- a batch at 8,000 rows, 65 ms with hash and merge joins off (docs/benchmarks.md,
-- "Statistics"). Same signature, same results: the previous release calls it unchanged.

create or replace function public.mux_ingest_batch_set(
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
      -- One probe of the primary key per event: `limit 1` keeps it a probe, as the planner
      -- otherwise may read the whole inbox's index when its statistics are of a younger,
      -- smaller inbox (docs/benchmarks.md, "Statistics").
      left join lateral (select e.id, e.state, e.lesson_id from public.mux_events e
                           where e.id = s.id limit 1) e on true
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
