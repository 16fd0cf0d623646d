-- The inbox: every verified Mux webhook event, stored once (keyed by Mux's event id) before
-- it is applied. Service-only: no API role can see or touch it.

create type public.mux_event_state as enum
  ('pending', 'applied', 'ignored', 'unmatched', 'failed', 'dead');

create table public.mux_events (
  id text primary key,
  type text not null,
  object_type text generated always as (payload -> 'object' ->> 'type') stored,
  object_id text generated always as (payload -> 'object' ->> 'id') stored,
  -- Matching keys, derived once from Mux's payload shapes: in upload events `data` is the
  -- upload (asset at data.asset_id), in asset events `data` is the asset (upload at data.upload_id).
  upload_id text generated always as (
    case when type like 'video.upload.%' then payload -> 'data' ->> 'id'
         else payload -> 'data' ->> 'upload_id' end) stored,
  asset_id text generated always as (
    case when type like 'video.upload.%' then payload -> 'data' ->> 'asset_id'
         when type like 'video.asset.%' then payload -> 'data' ->> 'id' end) stored,
  passthrough text generated always as (
    case when type like 'video.upload.%'
         then payload -> 'data' -> 'new_asset_settings' ->> 'passthrough'
         else payload -> 'data' ->> 'passthrough' end) stored,
  payload jsonb not null,
  mux_created_at timestamptz,
  received_at timestamptz not null default now(),
  source text not null default 'webhook' check (source in ('webhook', 'reconcile', 'replay')),
  state public.mux_event_state not null default 'pending',
  attempts integer not null default 0,
  last_error text,
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
