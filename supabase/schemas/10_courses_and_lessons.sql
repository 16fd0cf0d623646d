-- Courses and lessons: the tables authors write (through the API roles, as row-level
-- security and column privileges in 90_access.sql allow) and the database keeps consistent
-- whoever writes them: timestamps, revisions (stale edits), video versions (the live
-- stream's event ids), and dense lesson positions (1..n per course).
--
-- The present schema, declared (supabase/schemas/, one file per concern). Migrations in
-- supabase/migrations/ remain the deploy path; tests/test_declared_schema.py keeps the two
-- equal.

create type public.lesson_video_status as enum
  ('draft', 'uploading', 'processing', 'published', 'errored', 'cancelled');

create table public.courses (
  id uuid primary key default gen_random_uuid(),
  owner_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  title text not null check (length(btrim(title)) between 1 and 200),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  description text check (description is null or length(description) <= 2000),
  -- counts edits of what the author writes (title, description): see courses_before_update
  revision integer not null default 1,
  -- the author's decision: learners see a course only when it is public (90_access.sql)
  visibility text not null default 'draft'
    constraint courses_visibility_check check (visibility in ('draft', 'public'))
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
  updated_at timestamptz not null default now(),
  description text check (description is null or length(description) <= 2000),
  revision integer not null default 1,
  -- the author's decision: learners see a lesson only when it, its course and its video are
  -- public and published (lesson_reaches_learners, 90_access.sql)
  visibility text not null default 'draft'
    constraint lessons_visibility_check check (visibility in ('draft', 'public')),
  -- Checked at the end of each statement, so one statement may move every lesson of a course.
  constraint lessons_course_position_key unique (course_id, position)
    deferrable initially immediate
);

-- Timestamps are the database's job, whoever writes the row.
create function public.touch_updated_at() returns trigger
  language plpgsql set search_path = '' as $$
begin
  new.updated_at := now();
  return new;
end $$;

-- `revision` counts edits of what the author writes (title, description): a PATCH naming an
-- older revision is refused, so two tabs cannot silently overwrite each other. Video changes
-- and reordering do not count: they never make an author's text edit stale.
create function public.courses_before_update() returns trigger
  language plpgsql set search_path = '' as $$
begin
  new.updated_at := now();
  if (new.title, new.description) is distinct from (old.title, old.description) then
    new.revision := old.revision + 1;
  end if;
  return new;
end $$;

create trigger courses_before_update before update on public.courses
  for each row execute function public.courses_before_update();

-- One trigger for lessons: timestamps, the video version and the revision.
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
  if (new.title, new.description) is distinct from (old.title, old.description) then
    new.revision := old.revision + 1;
  end if;
  return new;
end $$;

create trigger lessons_before_update before update on public.lessons
  for each row execute function public.lessons_before_update();

-- Everything that changes positions takes the course's row lock first (add, delete, reorder),
-- so concurrent requests on one course take turns and never see each other's half.
create function public.lock_course(p_course_id uuid) returns boolean
  language plpgsql security definer set search_path = '' as $$
begin
  perform 1 from public.courses c where c.id = p_course_id for update;
  return found;
end $$;

-- A new lesson goes at the end, whoever inserts it and whatever position it names. The last
-- position is read from the (course_id, position) index, even before the table has statistics
-- (a bulk insert into a new table would otherwise scan every lesson for every row).
create function public.lessons_before_insert() returns trigger
  language plpgsql security definer set search_path = '' set enable_seqscan = off as $$
begin
  perform public.lock_course(new.course_id);
  new.position := coalesce((select l.position from public.lessons l
                             where l.course_id = new.course_id
                             order by l.position desc limit 1), 0) + 1;
  return new;
end $$;

create trigger lessons_before_insert before insert on public.lessons
  for each row execute function public.lessons_before_insert();

-- The lessons after a deleted one move up (nothing to do when the course itself is going).
create function public.renumber_lessons(p_course_id uuid) returns void
  language plpgsql security definer set search_path = '' as $$
begin
  if not public.lock_course(p_course_id) then
    return;
  end if;
  update public.lessons l set position = n.position
    from (select id, row_number() over (order by position, created_at, id) as position
            from public.lessons where course_id = p_course_id) n
    where l.id = n.id and l.position <> n.position;
end $$;

create function public.lessons_after_delete() returns trigger
  language plpgsql security definer set search_path = '' as $$
begin
  perform public.renumber_lessons(old.course_id);
  return null;
end $$;

create trigger lessons_after_delete after delete on public.lessons
  for each row execute function public.lessons_after_delete();

-- Reorder a course's lessons, as its owner: `p_lesson_ids` must name every lesson of the
-- course exactly once. Otherwise nothing changes and ML011 is raised (the caller answers 409
-- with the current order); a course the caller does not own is ML010 (404).
create function public.reorder_lessons(p_course_id uuid, p_lesson_ids uuid[])
  returns setof uuid
  language plpgsql security definer set search_path = '' as $$
declare
  current_ids uuid[];
begin
  if not public.is_course_owner(p_course_id) or not public.lock_course(p_course_id) then
    raise exception 'no such course' using errcode = 'ML010';
  end if;
  select coalesce(array_agg(l.id order by l.position), '{}') into current_ids
    from public.lessons l where l.course_id = p_course_id;
  if cardinality(p_lesson_ids) <> cardinality(current_ids)
     or (select count(distinct x) from unnest(p_lesson_ids) x) <> cardinality(current_ids)
     or not (p_lesson_ids <@ current_ids) then
    raise exception 'the order must name every lesson of the course exactly once'
      using errcode = 'ML011';
  end if;
  update public.lessons l set position = o.position
    from unnest(p_lesson_ids) with ordinality as o(id, position)
    where l.id = o.id and l.position <> o.position;
  return query select unnest(p_lesson_ids);
end $$;

revoke all on function
  public.touch_updated_at(),
  public.courses_before_update(),
  public.lessons_before_update(),
  public.lessons_before_insert(),
  public.lessons_after_delete(),
  public.renumber_lessons(uuid),
  public.lock_course(uuid)
  from public, anon, authenticated;

revoke all on function public.reorder_lessons(uuid, uuid[]) from public, anon;
grant execute on function public.reorder_lessons(uuid, uuid[]) to authenticated, service_role;

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
