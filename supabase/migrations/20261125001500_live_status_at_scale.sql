-- Live status at scale: one statement decides, for many viewers at once, which lessons each
-- may see (RLS evaluated as each viewer), and lesson notifications name their course and say
-- when a lesson is deleted, so course-wide streams follow their lessons.

-- For each request {"claims": <verified JWT claims, or null when anonymous>, "lessons": [ids]},
-- the ids among its lessons that RLS lets that viewer read, exactly as a request of theirs
-- would: role `authenticated` or `anon` and `request.jwt.claims` set, as PostgREST sets them.
-- Runs as the caller (the service), which takes on each API role in turn and returns to
-- itself after each; only the service may call it.
create function public.lesson_visibility(p_requests jsonb)
  returns table (viewer integer, lesson_id uuid)
  language plpgsql set search_path = '' as $$
declare
  i integer;
  claims jsonb;
  ids uuid[];
begin
  for i in 0 .. coalesce(jsonb_array_length(p_requests), 0) - 1 loop
    claims := p_requests -> i -> 'claims';
    if jsonb_typeof(claims) is distinct from 'object' then
      claims := '{"role": "anon"}';
    end if;
    select coalesce(array_agg(x::uuid), '{}') into ids
      from jsonb_array_elements_text(p_requests -> i -> 'lessons') x;
    perform set_config('role',
      case when claims ->> 'role' = 'authenticated' then 'authenticated' else 'anon' end, true);
    perform set_config('request.jwt.claims', claims::text, true);
    return query select i, l.id from public.lessons l where l.id = any(ids);
    perform set_config('role', 'none', true);
    perform set_config('request.jwt.claims', '', true);
  end loop;
end $$;

revoke all on function public.lesson_visibility(jsonb) from public, anon, authenticated;
grant execute on function public.lesson_visibility(jsonb) to service_role;

-- The notification names the lesson's course (and keeps what 20261125001100 added), and a
-- deleted lesson is announced too.
create or replace function public.lessons_notify_video_change() returns trigger
  language plpgsql set search_path = '' as $$
begin
  if tg_op = 'DELETE' then
    perform pg_notify('lesson_video', json_build_object(
      'id', old.id, 'course_id', old.course_id, 'deleted', true)::text);
    return null;
  end if;
  perform pg_notify('lesson_video', json_build_object(
    'id', new.id,
    'course_id', new.course_id,
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

create trigger lessons_notify_delete after delete on public.lessons
  for each row execute function public.lessons_notify_video_change();
