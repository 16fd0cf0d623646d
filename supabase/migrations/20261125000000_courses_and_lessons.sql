-- Courses and lessons, with row-level security that lets Supabase's API roles do only what
-- an author or a viewer may do. Video columns are written only by the service (see grants).

create type public.lesson_video_status as enum
  ('draft', 'uploading', 'processing', 'published', 'errored', 'cancelled');

create table public.courses (
  id uuid primary key default gen_random_uuid(),
  owner_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  title text not null check (length(btrim(title)) between 1 and 200),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index courses_owner_id_idx on public.courses (owner_id);

create table public.lessons (
  id uuid primary key default gen_random_uuid(),
  course_id uuid not null references public.courses (id) on delete cascade,
  title text not null check (length(btrim(title)) between 1 and 200),
  position integer not null default 0,
  status public.lesson_video_status not null default 'draft',
  mux_upload_id text unique,
  mux_asset_id text unique,
  mux_playback_id text,
  playback_policy text check (playback_policy in ('public', 'signed', 'drm')),
  duration_seconds double precision check (duration_seconds >= 0),
  aspect_ratio text,
  video_error text,
  -- Counts video changes: the live stream's event id (see lessons_before_update).
  video_version bigint not null default 0,
  status_changed_at timestamptz not null default now(),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index lessons_course_id_idx on public.lessons (course_id, position);

-- Timestamps are the database's job, whoever writes the row.
create function public.touch_updated_at() returns trigger
  language plpgsql set search_path = '' as $$
begin
  new.updated_at := now();
  return new;
end $$;

create trigger courses_touch before update on public.courses
  for each row execute function public.touch_updated_at();

-- One trigger for lessons: timestamps, and the version the live stream uses as event id.
create function public.lessons_before_update() returns trigger
  language plpgsql set search_path = '' as $$
begin
  new.updated_at := now();
  if new.status is distinct from old.status then
    new.status_changed_at := now();
  end if;
  if (new.status, new.mux_upload_id, new.mux_asset_id, new.mux_playback_id,
      new.playback_policy, new.duration_seconds, new.aspect_ratio, new.video_error)
     is distinct from
     (old.status, old.mux_upload_id, old.mux_asset_id, old.mux_playback_id,
      old.playback_policy, old.duration_seconds, old.aspect_ratio, old.video_error) then
    new.video_version := old.video_version + 1;
  end if;
  return new;
end $$;

create trigger lessons_before_update before update on public.lessons
  for each row execute function public.lessons_before_update();

-- Policy helpers run as their owner so the courses and lessons policies can refer to each
-- other without recursing into each other's RLS.
create function public.is_course_owner(p_course_id uuid) returns boolean
  language sql stable security definer set search_path = '' as $$
  select exists (
    select 1 from public.courses c
    where c.id = p_course_id and c.owner_id = (select auth.uid())
  )
$$;

create function public.course_has_published_lesson(p_course_id uuid) returns boolean
  language sql stable security definer set search_path = '' as $$
  select exists (
    select 1 from public.lessons l
    where l.course_id = p_course_id and l.status = 'published'
  )
$$;

alter table public.courses enable row level security;
alter table public.lessons enable row level security;

create policy courses_read on public.courses for select to anon, authenticated
  using (owner_id = (select auth.uid()) or public.course_has_published_lesson(id));
create policy courses_insert on public.courses for insert to authenticated
  with check (owner_id = (select auth.uid()));
create policy courses_update on public.courses for update to authenticated
  using (owner_id = (select auth.uid())) with check (owner_id = (select auth.uid()));
create policy courses_delete on public.courses for delete to authenticated
  using (owner_id = (select auth.uid()));

create policy lessons_read on public.lessons for select to anon, authenticated
  using (status = 'published' or public.is_course_owner(course_id));
create policy lessons_insert on public.lessons for insert to authenticated
  with check (public.is_course_owner(course_id));
create policy lessons_update on public.lessons for update to authenticated
  using (public.is_course_owner(course_id)) with check (public.is_course_owner(course_id));
create policy lessons_delete on public.lessons for delete to authenticated
  using (public.is_course_owner(course_id));

-- Supabase grants everything in `public` to the API roles by default; narrow it to the
-- columns an author manages. Video columns stay writable only by the service.
revoke all on public.courses, public.lessons from anon, authenticated;
grant select on public.courses, public.lessons to anon, authenticated;
grant insert (id, owner_id, title), update (title), delete on public.courses to authenticated;
grant insert (id, course_id, title, position), update (course_id, title, position), delete
  on public.lessons to authenticated;
grant all on public.courses, public.lessons to service_role;

revoke all on function public.touch_updated_at(), public.lessons_before_update()
  from public, anon, authenticated;
grant execute on function public.is_course_owner(uuid), public.course_has_published_lesson(uuid)
  to anon, authenticated, service_role;

-- Realtime: the dashboard and `postgres_changes` subscribers see lesson updates.
do $$
begin
  if exists (select 1 from pg_publication where pubname = 'supabase_realtime')
     and not exists (
       select 1 from pg_publication_tables
       where pubname = 'supabase_realtime' and schemaname = 'public' and tablename = 'lessons'
     ) then
    alter publication supabase_realtime add table public.lessons;
  end if;
end $$;
