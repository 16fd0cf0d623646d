-- Publishing under the author's control (issue 28): courses and lessons have a `visibility`,
-- `draft` or `public`, the author's decision. A learner (anonymous, or any signed-in user who
-- is not the owner) sees a lesson only when its course is public, the lesson is public and its
-- video is `published`; a course only when it is public and has such a lesson. RLS says so,
-- so PostgREST, Realtime, the service's routes and its live streams all see the same.
--
-- Expand only: the previous release creates courses and lessons without naming `visibility`
-- (they start `draft`), and its `lesson_video` notification payload is unchanged.

-- --- the columns -----------------------------------------------------------------------------

alter table public.courses add column visibility text not null default 'draft'
  constraint courses_visibility_check check (visibility in ('draft', 'public'));
alter table public.lessons add column visibility text not null default 'draft'
  constraint lessons_visibility_check check (visibility in ('draft', 'public'));

-- The upgrade: whatever learners could see before stays visible (a published lesson, and a
-- course with one), without touching `updated_at` or `revision` (the triggers are off while
-- the rows are marked; the ALTERs above already hold the tables' locks).
alter table public.lessons disable trigger lessons_before_update;
update public.lessons set visibility = 'public' where status = 'published';
alter table public.lessons enable trigger lessons_before_update;
alter table public.courses disable trigger courses_before_update;
update public.courses c set visibility = 'public'
  where exists (select 1 from public.lessons l where l.course_id = c.id and l.status = 'published');
alter table public.courses enable trigger courses_before_update;

-- --- who may read --------------------------------------------------------------------------

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

alter policy courses_read on public.courses
  using (owner_id = (select auth.uid()) or public.course_has_public_lesson(id));
alter policy lessons_read on public.lessons
  using (public.lesson_reaches_learners(status, visibility, course_id)
         or public.is_course_owner(course_id));

grant execute on function public.course_is_public(uuid), public.course_has_public_lesson(uuid),
  public.lesson_reaches_learners(public.lesson_video_status, text, uuid)
  to anon, authenticated, service_role;

-- The author changes visibility (RLS: only their own rows); new rows start `draft`, so it is
-- not insertable.
grant update (visibility) on public.courses, public.lessons to authenticated;

-- --- change notifications ------------------------------------------------------------------

-- A lesson's visibility changing is announced like a rename, with the same `lesson_video`
-- payload (every listener decides again, as the viewer it serves, what it may now show).
drop trigger lessons_notify_update on public.lessons;
create trigger lessons_notify_update after update on public.lessons
  for each row when (old.video_version is distinct from new.video_version
                     or old.title is distinct from new.title
                     or old.revision is distinct from new.revision
                     or old.position is distinct from new.position
                     or old.visibility is distinct from new.visibility)
  execute function public.lessons_notify_video_change();

-- A course's own change: `course_change` {id, owner_id, deleted} (a new channel: course
-- streams send the course again, or end). When its visibility changes, each of its lessons is
-- announced on `lesson_video` too, in that channel's shape, so streams of either release drop
-- or show them at once.
create function public.courses_notify_change() returns trigger
  language plpgsql set search_path = '' as $$
declare
  c public.courses := case when tg_op = 'DELETE' then old else new end;
begin
  perform pg_notify('course_change', json_build_object(
    'id', c.id, 'owner_id', c.owner_id, 'deleted', tg_op = 'DELETE')::text);
  if tg_op = 'UPDATE' and old.visibility is distinct from new.visibility then
    perform pg_notify('lesson_video', json_build_object(
      'id', l.id,
      'course_id', l.course_id,
      'owner_id', c.owner_id,
      'video_version', l.video_version,
      'deleted', false)::text)
    from public.lessons l where l.course_id = c.id;
  end if;
  return null;
end $$;

create trigger courses_notify_update after update on public.courses
  for each row when ((old.title, old.description, old.visibility)
                     is distinct from (new.title, new.description, new.visibility))
  execute function public.courses_notify_change();
create trigger courses_notify_delete after delete on public.courses
  for each row execute function public.courses_notify_change();

revoke all on function public.courses_notify_change() from public, anon, authenticated;

-- Polling (no LISTEN behind a transaction pooler) finds the lessons of a course changed lately
-- by this index, as it finds lessons changed lately by lessons_updated_at_idx.
create index courses_updated_at_idx on public.courses (updated_at);
