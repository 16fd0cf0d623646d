-- The lesson video state machine: the one definition of how Mux events move a lesson.
-- Every path (webhook, worker, replay, attach, reconcile) applies events through mux_apply.
--
-- Order independence: for the lesson's current upload, a lesson's stage only moves forward:
--   uploading (1) < processing (2) < published | errored | cancelled (3) < asset deleted (4)
-- so a late or duplicate event can never pull a lesson back. Events about an upload the
-- lesson has moved on from are recorded and ignored; events nobody carries yet are parked
-- as `unmatched` until an attach re-applies them.

-- Uploads a lesson has moved on from; their later events are recognised and ignored.
create table public.superseded_uploads (
  upload_id text primary key,
  lesson_id uuid not null references public.lessons (id) on delete cascade,
  asset_id text,
  playback_id text,
  superseded_at timestamptz not null default now()
);
create index superseded_uploads_asset_idx on public.superseded_uploads (asset_id);
alter table public.superseded_uploads enable row level security;
revoke all on public.superseded_uploads from anon, authenticated;
grant all on public.superseded_uploads to service_role;

-- Small pure-SQL helpers carry no `set search_path`: a SET clause stops PostgreSQL from
-- inlining a function and costs a GUC save/restore per call, which profiling showed on the
-- webhook hot path. They are SECURITY INVOKER, use only built-in operators and functions
-- (always resolved from pg_catalog first), and API roles cannot execute them.

-- Every event and attach concerning one upload takes this lock first (then the lesson row),
-- so an attach and a webhook racing for a brand-new upload cannot miss each other.
create function public.mux_lock_upload(p_upload_id text) returns void
  language sql as $$
  select pg_advisory_xact_lock(hashtextextended('mux-upload:' || p_upload_id, 0))
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

-- The lesson video state machine. Decides what an event means for its lesson and changes
-- the lesson accordingly; returns the verdict for the inbox row. Raises on anything
-- unexpected (callers record the event as `failed`).
create function public.mux_apply(
  ev public.mux_events, p_preferred_policy text,
  out verdict public.mux_event_state, out matched_lesson uuid, out note text)
  language plpgsql set search_path = '' as $$
declare
  d jsonb := ev.payload -> 'data';
  l public.lessons;
  prev public.superseded_uploads;
  stage integer;
  playback jsonb;
begin
  verdict := 'applied';
  if ev.type not in ('video.upload.created', 'video.upload.asset_created',
                     'video.upload.cancelled', 'video.upload.errored', 'video.asset.created',
                     'video.asset.ready', 'video.asset.errored', 'video.asset.deleted') then
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
  if l.mux_asset_id is not null and ev.asset_id is not null and l.mux_asset_id <> ev.asset_id then
    verdict := 'ignored';
    note := 'asset ' || ev.asset_id || ' is not the lesson''s current asset';
    return;
  end if;

  stage := public.lesson_video_stage(l.status, l.mux_upload_id);
  case ev.type
    when 'video.upload.created' then
      note := 'recorded';
    when 'video.upload.asset_created', 'video.asset.created' then
      if stage < 2 then
        update public.lessons set status = 'processing', mux_asset_id = ev.asset_id
          where id = l.id;
      elsif l.mux_asset_id is null and ev.asset_id is not null then
        update public.lessons set mux_asset_id = ev.asset_id where id = l.id;
        note := 'asset id recorded; lesson already past processing';
      else
        note := 'lesson already past processing';
      end if;
    when 'video.asset.ready' then
      if stage < 3 then
        select p into playback
          from jsonb_array_elements(
                 case when jsonb_typeof(d -> 'playback_ids') = 'array'
                      then d -> 'playback_ids' else '[]'::jsonb end)
               with ordinality as t(p, n)
          where p ->> 'id' is not null
          order by (p ->> 'policy' = p_preferred_policy) desc, n
          limit 1;
        if playback is null then
          raise exception 'video.asset.ready for asset % carries no playback id; check that '
            'new_asset_settings asks for a playback policy', ev.asset_id;
        end if;
        update public.lessons set
            status = 'published',
            mux_asset_id = ev.asset_id,
            mux_playback_id = playback ->> 'id',
            playback_policy = playback ->> 'policy',
            duration_seconds = (d ->> 'duration')::double precision,
            aspect_ratio = d ->> 'aspect_ratio',
            video_error = null
          where id = l.id;
      else
        note := 'lesson already final';
      end if;
    when 'video.asset.errored' then
      if stage < 3 then
        update public.lessons set
            status = 'errored',
            mux_asset_id = coalesce(l.mux_asset_id, ev.asset_id),
            video_error = coalesce(public.mux_error_text(d -> 'errors'),
                                   'Mux could not process the video')
          where id = l.id;
      else
        note := 'lesson already final';
      end if;
    when 'video.upload.errored' then
      if stage < 3 then
        update public.lessons set
            status = 'errored',
            video_error = coalesce(public.mux_error_text(d -> 'error'), 'the upload failed')
          where id = l.id;
      else
        note := 'lesson already final';
      end if;
    when 'video.upload.cancelled' then
      if stage < 3 then
        update public.lessons set
            status = 'cancelled',
            video_error = case when d ->> 'status' = 'timed_out'
                               then 'the upload timed out before a file arrived'
                               else 'the upload was cancelled' end
          where id = l.id;
      else
        note := 'lesson already final';
      end if;
    when 'video.asset.deleted' then
      if stage < 4 then
        update public.lessons set
            status = 'draft',
            mux_asset_id = coalesce(l.mux_asset_id, ev.asset_id),
            mux_playback_id = null,
            playback_policy = null,
            video_error = null
          where id = l.id;
      else
        note := 'asset already deleted';
      end if;
  end case;
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

-- Concurrent deliveries of one event id take turns on this lock.
create function public.mux_lock_event(p_event_id text) returns void
  language sql as $$
  select pg_advisory_xact_lock(hashtextextended('mux-event:' || p_event_id, 0))
$$;

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

-- Many events in one transaction (the service batches concurrent webhook deliveries, so a
-- burst costs one commit, not one per event). Events are applied in upload-key order, so
-- concurrent batches take their locks in one global order; `idx` maps each result to its
-- input position. Any error aborts the batch; the service then ingests its events singly.
create function public.mux_ingest_batch(
  p_payloads jsonb[], p_created_at timestamptz[], p_preferred_policy text, p_source text)
  returns table (idx integer, inserted boolean, state public.mux_event_state, lesson_id uuid,
                 error text)
  language plpgsql set search_path = '' as $$
declare
  item record;
begin
  for item in
    select t.payload, t.created_at, t.n::integer as n
      from unnest(p_payloads, p_created_at) with ordinality as t(payload, created_at, n)
      order by coalesce(public.mux_event_upload_id(t.payload ->> 'type', t.payload),
                        public.mux_event_asset_id(t.payload ->> 'type', t.payload)),
               t.payload ->> 'id'
  loop
    return query select item.n, r.* from public.mux_ingest_event(
      item.payload, p_preferred_policy, p_source, item.created_at) r;
  end loop;
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

-- These functions change video state: only the service may call them (Supabase would
-- otherwise expose them to every API role through /rest/v1/rpc).
revoke all on function
  public.mux_lock_upload(text),
  public.mux_lock_event(text),
  public.lesson_video_stage(public.lesson_video_status, text),
  public.mux_error_text(jsonb),
  public.mux_apply(public.mux_events, text),
  public.mux_process_event(text, text),
  public.mux_ingest_event(jsonb, text, text, timestamptz),
  public.mux_record_failed_event(jsonb, text, text, timestamptz),
  public.mux_ingest_batch(jsonb[], timestamptz[], text, text),
  public.mux_attach_upload(uuid, text, text)
  from public, anon, authenticated;
grant execute on function
  public.mux_process_event(text, text),
  public.mux_ingest_event(jsonb, text, text, timestamptz),
  public.mux_record_failed_event(jsonb, text, text, timestamptz),
  public.mux_ingest_batch(jsonb[], timestamptz[], text, text),
  public.mux_attach_upload(uuid, text, text)
  to service_role;
