-- A leaner webhook hot path (issue 22; figures in docs/benchmarks.md).

-- The change notification names the lesson, its course and owner, and its video version:
-- every listener reads what it shows itself (live streams decide visibility with one
-- statement that returns the rows; the status page reads the lesson), so no applied event
-- pays for rendering the whole row, its captions and downloads into JSON.
create or replace function public.lessons_notify_video_change() returns trigger
  language plpgsql set search_path = '' as $$
declare
  l public.lessons := case when tg_op = 'DELETE' then old else new end;
begin
  perform pg_notify('lesson_video', json_build_object(
    'id', l.id,
    'course_id', l.course_id,
    'owner_id', (select c.owner_id from public.courses c where c.id = l.course_id),
    'video_version', l.video_version,
    'deleted', tg_op = 'DELETE')::text);
  return null;
end $$;

-- Columns nothing reads, computed from the payload on every insert: gone (the payload has them).
alter table public.mux_events drop column object_type, drop column object_id;
