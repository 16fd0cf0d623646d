-- Access: what Supabase's API roles (anon, authenticated) may read and write. A learner
-- (anonymous, or signed in and not the owner) reads a lesson only when its video is published
-- and the lesson and its course are public, and a course only when it has such a lesson; a
-- course's owner reads and manages the course and its lessons. Video columns are written only by the service (column privileges); every table
-- of the service's own (the inbox, the outbox, ...) is closed to the API roles where it is
-- declared.

-- Policy helpers run as their owner so the courses and lessons policies can refer to each
-- other without recursing into each other's RLS.

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

-- Policy helpers run as their owner (like is_course_owner), so the courses and lessons
-- policies can refer to each other without recursing into each other's RLS.
create function public.course_is_public(p_course_id uuid) returns boolean
  language sql stable security definer set search_path = '' as $$
  select exists (
    select 1 from public.courses c where c.id = p_course_id and c.visibility = 'public'
  )
$$;

-- THE rule, in one place: a lesson reaches learners when its video is published, the author
-- made it public and its course is public. Plain SQL, so the planner inlines it in policies.
create function public.lesson_reaches_learners(
  p_status public.lesson_video_status, p_visibility text, p_course_id uuid
) returns boolean
  language sql stable set search_path = '' as $$
  select p_status = 'published' and p_visibility = 'public'
         and public.course_is_public(p_course_id)
$$;

-- A course learners may open: one with a lesson that reaches them (so a public course too).
create function public.course_has_public_lesson(p_course_id uuid) returns boolean
  language sql stable security definer set search_path = '' as $$
  select exists (
    select 1 from public.lessons l
    where l.course_id = p_course_id
      and public.lesson_reaches_learners(l.status, l.visibility, l.course_id)
  )
$$;

alter table public.courses enable row level security;
alter table public.lessons enable row level security;

create policy courses_read on public.courses for select to anon, authenticated
  using (owner_id = (select auth.uid()) or public.course_has_public_lesson(id));
create policy courses_insert on public.courses for insert to authenticated
  with check (owner_id = (select auth.uid()));
create policy courses_update on public.courses for update to authenticated
  using (owner_id = (select auth.uid())) with check (owner_id = (select auth.uid()));
create policy courses_delete on public.courses for delete to authenticated
  using (owner_id = (select auth.uid()));

create policy lessons_read on public.lessons for select to anon, authenticated
  using (public.lesson_reaches_learners(status, visibility, course_id)
         or public.is_course_owner(course_id));
create policy lessons_insert on public.lessons for insert to authenticated
  with check (public.is_course_owner(course_id));
create policy lessons_update on public.lessons for update to authenticated
  using (public.is_course_owner(course_id)) with check (public.is_course_owner(course_id));
create policy lessons_delete on public.lessons for delete to authenticated
  using (public.is_course_owner(course_id));

-- Captions and downloads: readable exactly when the lesson playing that asset is.
alter table public.lesson_text_tracks enable row level security;
alter table public.lesson_downloads enable row level security;
create policy lesson_text_tracks_read on public.lesson_text_tracks for select
  to anon, authenticated
  using (exists (select 1 from public.lessons l where l.mux_asset_id = asset_id));
create policy lesson_downloads_read on public.lesson_downloads for select
  to anon, authenticated
  using (exists (select 1 from public.lessons l where l.mux_asset_id = asset_id));

-- Supabase grants everything in `public` to the API roles by default; narrow it to the
-- columns an author manages. Positions change only through reorder_lessons and the
-- triggers; lessons never move between courses.
revoke all on public.courses, public.lessons from anon, authenticated;
grant select on public.courses, public.lessons to anon, authenticated;
grant insert (id, owner_id, title, description), update (title, description), delete
  on public.courses to authenticated;
grant insert (id, course_id, title, description), update (title, description), delete
  on public.lessons to authenticated;
-- the author publishes and unpublishes; new rows start `draft`, so it is not insertable
grant update (visibility) on public.courses, public.lessons to authenticated;
grant all on public.courses, public.lessons to service_role;
revoke all on public.lesson_text_tracks, public.lesson_downloads from anon, authenticated;
grant select on public.lesson_text_tracks, public.lesson_downloads to anon, authenticated;
grant all on public.lesson_text_tracks, public.lesson_downloads to service_role;

-- Progress: each user reads and writes only their own rows, and only for a lesson they may
-- see (the `lessons` policy, evaluated as the caller, decides); `anon` has no access.
alter table public.lesson_progress enable row level security;

create policy lesson_progress_read on public.lesson_progress for select to authenticated
  using (user_id = (select auth.uid()));
create policy lesson_progress_insert on public.lesson_progress for insert to authenticated
  with check (
    user_id = (select auth.uid())
    and exists (select 1 from public.lessons l where l.id = lesson_id));
create policy lesson_progress_update on public.lesson_progress for update to authenticated
  using (user_id = (select auth.uid()))
  with check (
    user_id = (select auth.uid())
    and exists (select 1 from public.lessons l where l.id = lesson_id));
create policy lesson_progress_delete on public.lesson_progress for delete to authenticated
  using (user_id = (select auth.uid()));

revoke all on public.lesson_progress from public, anon, authenticated;
grant select, delete on public.lesson_progress to authenticated;
grant insert (user_id, lesson_id, position_seconds, completed),
  update (position_seconds, completed, updated_at)
  on public.lesson_progress to authenticated;
grant all on public.lesson_progress to service_role;

grant execute on function public.is_course_owner(uuid), public.course_has_published_lesson(uuid)
  to anon, authenticated, service_role;
grant execute on function public.course_is_public(uuid), public.course_has_public_lesson(uuid),
  public.lesson_reaches_learners(public.lesson_video_status, text, uuid)
  to anon, authenticated, service_role;
