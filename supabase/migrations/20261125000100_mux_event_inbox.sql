-- The inbox: every verified Mux webhook event, stored once (keyed by Mux's event id) before
-- it is applied. Service-only: no API role can see or touch it.

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

create function public.mux_event_asset_id(p_type text, p_payload jsonb) returns text
  language sql immutable as $$
  select case when p_type like 'video.upload.%' then p_payload -> 'data' ->> 'asset_id'
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
  object_type text generated always as (payload -> 'object' ->> 'type') stored,
  object_id text generated always as (payload -> 'object' ->> 'id') stored,
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

create trigger mux_events_touch before update on public.mux_events
  for each row execute function public.touch_updated_at();

alter table public.mux_events enable row level security;
revoke all on public.mux_events from anon, authenticated;
grant all on public.mux_events to service_role;
revoke all on function
  public.mux_event_upload_id(text, jsonb),
  public.mux_event_asset_id(text, jsonb),
  public.mux_event_passthrough(text, jsonb)
  from public, anon, authenticated;
