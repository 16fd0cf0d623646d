-- The author's workspace: descriptions, revisions for stale-edit detection, dense lesson
-- positions kept by the database whatever order requests arrive in, and what the author's
-- live stream (`GET /api/me/events`) needs from change notifications.

-- --- descriptions and revisions ------------------------------------------------------------

alter table public.courses
  add column description text check (description is null or length(description) <= 2000),
  add column revision integer not null default 1;
alter table public.lessons
  add column description text check (description is null or length(description) <= 2000),
  add column revision integer not null default 1;

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

drop trigger courses_touch on public.courses;
create trigger courses_before_update before update on public.courses
  for each row execute function public.courses_before_update();

create or replace function public.lessons_before_update() returns trigger
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

-- --- positions: 1..n per course, unique, kept so by the database -----------------------------

-- Whatever positions lessons had (all 0 when nobody ordered them), in their shown order.
update public.lessons l set position = n.position
  from (select id, row_number() over (partition by course_id
                                      order by position, created_at, id) as position
          from public.lessons) n
  where l.id = n.id and l.position is distinct from n.position;

drop index public.lessons_course_id_idx;
-- Checked at the end of each statement, so one statement may move every lesson of a course.
alter table public.lessons add constraint lessons_course_position_key
  unique (course_id, position) deferrable initially immediate;

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

-- --- what the API roles may write ------------------------------------------------------------

-- Positions change only through the functions above; lessons never move between courses.
revoke insert (id, course_id, title, position), update (course_id, title, position)
  on public.lessons from authenticated;
grant insert (id, course_id, title, description), update (title, description)
  on public.lessons to authenticated;
grant insert (description), update (description) on public.courses to authenticated;

revoke all on function public.courses_before_update(), public.lessons_before_insert(),
  public.lessons_after_delete(), public.renumber_lessons(uuid), public.lock_course(uuid)
  from public, anon, authenticated;
revoke all on function public.reorder_lessons(uuid, uuid[]) from public, anon;
grant execute on function public.reorder_lessons(uuid, uuid[]) to authenticated, service_role;

-- --- change notifications --------------------------------------------------------------------

-- The notification names the course's owner (the author's stream follows their lessons by
-- it) and its description; renames and moves are announced too (course pages relist).
create or replace function public.lessons_notify_video_change() returns trigger
  language plpgsql set search_path = '' as $$
begin
  if tg_op = 'DELETE' then
    perform pg_notify('lesson_video', json_build_object(
      'id', old.id, 'course_id', old.course_id, 'deleted', true,
      'owner_id', (select c.owner_id from public.courses c where c.id = old.course_id))::text);
    return null;
  end if;
  perform pg_notify('lesson_video', json_build_object(
    'id', new.id,
    'course_id', new.course_id,
    'owner_id', (select c.owner_id from public.courses c where c.id = new.course_id),
    'title', new.title,
    'video_version', new.video_version,
    'status', new.status,
    'mux_playback_id', new.mux_playback_id,
    'playback_policy', new.playback_policy,
    'duration_seconds', new.duration_seconds,
    'aspect_ratio', new.aspect_ratio,
    'video_error', new.video_error,
    'status_changed_at', new.status_changed_at,
    'position', new.position,
    'created_at', new.created_at,
    'media', public.lesson_media_json(new.mux_asset_id))::text);
  return null;
end $$;

drop trigger lessons_notify_update on public.lessons;
create trigger lessons_notify_update after update on public.lessons
  for each row when (old.video_version is distinct from new.video_version
                     or old.title is distinct from new.title
                     or old.position is distinct from new.position)
  execute function public.lessons_notify_video_change();
