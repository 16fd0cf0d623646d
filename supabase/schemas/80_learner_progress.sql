-- A learner's progress through lessons: how far into a lesson's video they got and whether
-- they finished it, one row per user and lesson. Who may read and write it: 90_access.sql
-- (each user their own rows, for lessons they may see; anonymous callers nothing).

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
