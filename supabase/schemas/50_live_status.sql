-- Live status: every lesson change is NOTIFYed to the listening service processes, which
-- decide for each viewer (RLS as the viewer, one statement per change) and fan out to the
-- SSE streams. Without LISTEN, processes poll the lessons changed lately.

-- Live status without LISTEN polls the lessons changed in the last seconds.
create index lessons_updated_at_idx on public.lessons (updated_at);

-- The change notification names the lesson, its course and owner, and its video version:
-- every listener reads what it shows itself (live streams decide visibility with one
-- statement that returns the rows; the status page reads the lesson), so no applied event
-- pays for rendering the whole row, its captions and downloads into JSON.
create function public.lessons_notify_video_change() returns trigger
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

create trigger lessons_notify_insert after insert on public.lessons
  for each row execute function public.lessons_notify_video_change();
-- A lesson's visibility changing is announced like a rename, with the same payload (every
-- listener decides again, as the viewer it serves, what it may now show).
create trigger lessons_notify_update after update on public.lessons
  for each row when (old.video_version is distinct from new.video_version
                     or old.title is distinct from new.title
                     or old.revision is distinct from new.revision
                     or old.position is distinct from new.position
                     or old.visibility is distinct from new.visibility)
  execute function public.lessons_notify_video_change();
create trigger lessons_notify_delete after delete on public.lessons
  for each row execute function public.lessons_notify_video_change();

-- Polling (no LISTEN behind a transaction pooler) finds the lessons of a course changed lately
-- by this index, as it finds lessons changed lately by lessons_updated_at_idx.
create index courses_updated_at_idx on public.courses (updated_at);

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

-- The captions and downloads of an asset as the video JSON shows them (invoker's rights:
-- RLS applies to whoever asks). PL/pgSQL, not SQL: it runs in the lesson change trigger on
-- the webhook path, and PL/pgSQL keeps its query plans where a SQL function is planned on
-- every call (measured: ~125 us a call).
create function public.lesson_media_json(p_asset_id text) returns jsonb
  language plpgsql stable set search_path = '' as $$
begin
  return jsonb_build_object(
    'captions', coalesce((
      select jsonb_agg(jsonb_build_object(
               'trackId', t.track_id, 'languageCode', t.language_code, 'name', t.name,
               'status', t.status) order by t.language_code, t.name, t.track_id)
        from public.lesson_text_tracks t
        where t.asset_id = p_asset_id and t.status <> 'deleted'), '[]'::jsonb),
    'downloads', coalesce((
      select jsonb_agg(jsonb_build_object(
               'name', d.name, 'resolution', d.resolution, 'status', d.status)
               order by d.name)
        from public.lesson_downloads d
        where d.asset_id = p_asset_id and d.status <> 'deleted'), '[]'::jsonb));
end $$;

revoke all on function
  public.lessons_notify_video_change(),
  public.courses_notify_change(),
  public.lesson_visibility(jsonb)
  from public, anon, authenticated;

grant execute on function
  public.lesson_visibility(jsonb)
  to service_role;

grant execute on function public.lesson_media_json(text) to anon, authenticated, service_role;
