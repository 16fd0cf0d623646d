-- A learner's progress through lessons (issue 30): how far into a lesson's video they got and
-- whether they finished it, one row per user and lesson. Row-level security: each user reads
-- and writes only their own rows, and only for a lesson they may see (the `lessons` policy,
-- evaluated as the caller inside this table's policies, decides, so a narrower lesson
-- visibility narrows progress with it). Anonymous callers (the `anon` role) have no access.
-- Expand only: a new table; the previous release neither reads nor writes it.

create table public.lesson_progress (
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  lesson_id uuid not null references public.lessons (id) on delete cascade,
  position_seconds double precision not null default 0
    check (position_seconds >= 0 and position_seconds <= 86400),
  completed boolean not null default false,
  updated_at timestamptz not null default now(),
  primary key (user_id, lesson_id)
);
-- A lesson's deletion finds its progress rows without a scan.
create index lesson_progress_lesson_id_idx on public.lesson_progress (lesson_id);

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
