-- The inbox: every verified Mux webhook event, stored once (keyed by Mux's event id) before
-- it is applied, with what the state machine concluded. Service-only: no API role can see
-- or touch it. Stored and applied in one transaction by mux_ingest_batch_set (a batch as a
-- set, the webhook's path) or mux_ingest_event (one event, the previous release's path and
-- the set's fallback); retried by the worker (mux_work_next), parked events swept
-- (mux_sweep_unmatched). What an event does to a lesson is 30_state_machine.sql.

create type public.mux_event_state as enum
  ('pending', 'applied', 'ignored', 'unmatched', 'failed', 'dead');

-- The matching keys, defined once: used by the generated columns and by ingest (which
-- applies an event before its row exists). In upload events `data` is the upload (asset at
-- data.asset_id); in asset events `data` is the asset (upload at data.upload_id). Like the
-- other small pure helpers they carry no `set search_path`, so PostgreSQL can inline them.
create function public.mux_event_upload_id(p_type text, p_payload jsonb) returns text
  language sql immutable as $$
  select case when p_type like 'video.upload.%' then p_payload -> 'data' ->> 'id'
              else p_payload -> 'data' ->> 'upload_id' end
$$;

-- Track and per-rendition events carry the track or rendition as `data`, its asset at
-- `data.asset_id`; every other asset event carries the asset itself.
create function public.mux_event_asset_id(p_type text, p_payload jsonb) returns text
  language sql immutable as $$
  select case when p_type like 'video.upload.%' then p_payload -> 'data' ->> 'asset_id'
              when p_type like 'video.asset.track.%'
                or p_type like 'video.asset.static\_rendition.%'
              then p_payload -> 'data' ->> 'asset_id'
              when p_type like 'video.asset.%' then p_payload -> 'data' ->> 'id' end
$$;

create function public.mux_event_passthrough(p_type text, p_payload jsonb) returns text
  language sql immutable as $$
  select case when p_type like 'video.upload.%'
              then p_payload -> 'data' -> 'new_asset_settings' ->> 'passthrough'
              else p_payload -> 'data' ->> 'passthrough' end
$$;

create table public.mux_events (
  id text primary key,
  type text not null,
  upload_id text generated always as (public.mux_event_upload_id(type, payload)) stored,
  asset_id text generated always as (public.mux_event_asset_id(type, payload)) stored,
  passthrough text generated always as (public.mux_event_passthrough(type, payload)) stored,
  payload jsonb not null,
  mux_created_at timestamptz,
  received_at timestamptz not null default now(),
  source text not null default 'webhook' check (source in ('webhook', 'reconcile', 'replay')),
  state public.mux_event_state not null default 'pending',
  attempts integer not null default 0,
  last_error text,
  -- What the state machine concluded (why an event was ignored, unmatched or had no effect).
  outcome text,
  lesson_id uuid references public.lessons (id) on delete set null,
  next_attempt_at timestamptz not null default now(),
  processed_at timestamptz,
  updated_at timestamptz not null default now()
);

create index mux_events_due_idx on public.mux_events (next_attempt_at)
  where state in ('pending', 'failed');
create index mux_events_unmatched_upload_idx on public.mux_events (upload_id)
  where state = 'unmatched';
create index mux_events_unmatched_asset_idx on public.mux_events (asset_id)
  where state = 'unmatched';
create index mux_events_lesson_idx on public.mux_events (lesson_id, received_at);
create index mux_events_received_idx on public.mux_events (received_at desc);
-- Metrics read the inbox's depth by state and the age of its oldest waiting event on every
-- scrape: a partial index over the few rows not applied or ignored keeps that read cheap.
create index mux_events_open_idx on public.mux_events (state, received_at)
  where state in ('pending', 'failed', 'unmatched', 'dead');

create trigger mux_events_touch before update on public.mux_events
  for each row execute function public.touch_updated_at();

alter table public.mux_events enable row level security;
revoke all on public.mux_events from anon, authenticated;
grant all on public.mux_events to service_role;

-- --- storing and applying -------------------------------------------------------------------

-- Concurrent deliveries of one event id take turns on this lock.
create function public.mux_lock_event(p_event_id text) returns void
  language sql as $$
  select pg_advisory_xact_lock(hashtextextended('mux-event:' || p_event_id, 0))
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

-- Stores a verified event once (keyed by Mux's id) and applies it in the same transaction,
-- writing its inbox row once. Concurrent deliveries of one id take turns on an advisory lock;
-- the later ones change nothing and report the stored state. Raises if applying fails: the
-- caller then records the event with mux_record_failed_event.
create function public.mux_ingest_event(
  p_payload jsonb, p_preferred_policy text, p_source text, p_created_at timestamptz,
  out inserted boolean, out state public.mux_event_state, out lesson_id uuid, out error text)
  language plpgsql set search_path = '' as $$
declare
  ev public.mux_events;
  r record;
begin
  ev.id := p_payload ->> 'id';
  ev.type := p_payload ->> 'type';
  perform public.mux_lock_event(ev.id);
  select e.state, e.lesson_id into state, lesson_id from public.mux_events e where e.id = ev.id;
  if found then
    inserted := false;
    return;
  end if;
  ev.payload := p_payload;
  ev.upload_id := public.mux_event_upload_id(ev.type, p_payload);
  ev.asset_id := public.mux_event_asset_id(ev.type, p_payload);
  ev.passthrough := public.mux_event_passthrough(ev.type, p_payload);
  select * into r from public.mux_apply(ev, p_preferred_policy);
  insert into public.mux_events
      (id, type, payload, mux_created_at, source, state, attempts, outcome, lesson_id,
       processed_at)
    values (ev.id, ev.type, p_payload, p_created_at, p_source, r.verdict, 1, r.note,
            r.matched_lesson, now());
  inserted := true;
  state := r.verdict;
  lesson_id := r.matched_lesson;
end $$;

-- Stores an event whose application raised, as `failed` with the error, for the worker.
create function public.mux_record_failed_event(
  p_payload jsonb, p_error text, p_source text, p_created_at timestamptz,
  out inserted boolean, out state public.mux_event_state, out lesson_id uuid, out error text)
  language plpgsql set search_path = '' as $$
begin
  perform public.mux_lock_event(p_payload ->> 'id');
  insert into public.mux_events
      (id, type, payload, mux_created_at, source, state, attempts, last_error, processed_at)
    values (p_payload ->> 'id', p_payload ->> 'type', p_payload, p_created_at, p_source,
            'failed', 1, p_error, now())
    on conflict (id) do nothing;
  inserted := found;
  select e.state, e.lesson_id, e.last_error into state, lesson_id, error
    from public.mux_events e where e.id = p_payload ->> 'id';
end $$;

-- Applies a stored event again (worker, replay, attach) and records the outcome on its row;
-- an unexpected error leaves it `failed` with the error kept and the lesson untouched.
create function public.mux_process_event(
  p_event_id text, p_preferred_policy text,
  out state public.mux_event_state, out lesson_id uuid, out error text)
  language plpgsql set search_path = '' as $$
declare
  ev public.mux_events;
  v_verdict public.mux_event_state := 'failed';
  v_lesson uuid;
  v_note text;
begin
  select * into ev from public.mux_events e where e.id = p_event_id for update;
  if not found then
    raise exception 'mux event % is not in the inbox', p_event_id;
  end if;
  begin
    select r.verdict, r.matched_lesson, r.note into v_verdict, v_lesson, v_note
      from public.mux_apply(ev, p_preferred_policy) r;
  exception when others then
    error := sqlerrm;
    v_verdict := 'failed';
  end;
  update public.mux_events e set
      attempts = e.attempts + 1,
      state = v_verdict,
      outcome = v_note,
      lesson_id = coalesce(v_lesson, e.lesson_id),
      last_error = error,
      processed_at = now()
    where e.id = p_event_id
    returning e.state, e.lesson_id into state, lesson_id;
end $$;

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

-- --- the worker's side ---------------------------------------------------------------------

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

-- The inbox over time (issue 27): settled events (`applied`, `ignored`) older than the worker's
-- INBOX_RETENTION_DAYS are deleted, a small batch a call, oldest first; `pending`, `failed`,
-- `unmatched` and `dead` ones never are (they are work, or an operator's to look at). Nothing
-- reads a settled event again: the state machine decides from the lesson's row, and parked
-- events are matched from `unmatched` rows only. Rows another transaction holds are skipped,
-- never waited for. Expand only: a new function; the previous release does not call it.
create function public.mux_events_prune(p_older_than interval, p_limit integer)
  returns integer
  language plpgsql set search_path = '' as $$
declare
  deleted integer;
begin
  delete from public.mux_events e
   where e.id in (
     select x.id from public.mux_events x
      where x.received_at < now() - p_older_than
        and x.state in ('applied', 'ignored')
      order by x.received_at
      limit p_limit
      for update skip locked);
  get diagnostics deleted = row_count;
  return deleted;
end $$;

revoke all on function
  public.mux_event_upload_id(text,jsonb),
  public.mux_event_asset_id(text,jsonb),
  public.mux_event_passthrough(text,jsonb),
  public.mux_lock_event(text),
  public.mux_ingest_batch_set(jsonb[],timestamp with time zone[],text,text,text),
  public.mux_ingest_event(jsonb,text,text,timestamp with time zone),
  public.mux_record_failed_event(jsonb,text,text,timestamp with time zone),
  public.mux_process_event(text,text),
  public.mux_ingest_event_bounded(jsonb,text,text,timestamp with time zone,text),
  public.mux_work_next(text,integer,double precision,double precision),
  public.mux_sweep_unmatched(text,interval,integer),
  public.mux_work_next_bounded(text,integer,double precision,double precision,text),
  public.mux_sweep_unmatched_bounded(text,interval,text),
  public.mux_events_prune(interval,integer)
  from public, anon, authenticated;

grant execute on function
  public.mux_ingest_batch_set(jsonb[],timestamp with time zone[],text,text,text),
  public.mux_ingest_event(jsonb,text,text,timestamp with time zone),
  public.mux_record_failed_event(jsonb,text,text,timestamp with time zone),
  public.mux_process_event(text,text),
  public.mux_ingest_event_bounded(jsonb,text,text,timestamp with time zone,text),
  public.mux_work_next(text,integer,double precision,double precision),
  public.mux_sweep_unmatched(text,interval,integer),
  public.mux_work_next_bounded(text,integer,double precision,double precision,text),
  public.mux_sweep_unmatched_bounded(text,interval,text),
  public.mux_events_prune(interval,integer)
  to service_role;
