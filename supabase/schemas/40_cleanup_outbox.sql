-- Cleanup at Mux (the outbox): one row per Mux object to delete or upload to cancel, written
-- in the transaction that makes it unneeded, so the intent cannot be lost. The worker
-- (service/mux/cleanup_outbox.py) claims due rows, calls Mux and records what it said.

create type public.mux_cleanup_state as enum ('pending', 'failed', 'done', 'dead');

create table public.mux_cleanups (
  id bigint generated always as identity primary key,
  action text not null check (action in ('delete_asset', 'cancel_upload')),
  object_id text not null,
  lesson_id uuid,  -- no foreign key: the lesson may be the thing that was deleted
  reason text not null
    check (reason in ('replaced', 'removed', 'cancelled', 'lesson_deleted', 'orphan')),
  state public.mux_cleanup_state not null default 'pending',
  attempts integer not null default 0,
  last_error text,
  outcome text,
  next_attempt_at timestamptz not null default now(),
  created_at timestamptz not null default now(),
  done_at timestamptz,
  updated_at timestamptz not null default now(),
  unique (action, object_id)
);
create index mux_cleanups_due_idx on public.mux_cleanups (next_attempt_at)
  where state in ('pending', 'failed');
create index mux_cleanups_created_idx on public.mux_cleanups (created_at desc);
-- metrics count the cleanups not done
create index mux_cleanups_open_idx on public.mux_cleanups (action, state)
  where state in ('pending', 'failed', 'dead');

create trigger mux_cleanups_touch before update on public.mux_cleanups
  for each row execute function public.touch_updated_at();

alter table public.mux_cleanups enable row level security;
revoke all on public.mux_cleanups from anon, authenticated;
grant all on public.mux_cleanups to service_role;

-- Records the intent once per Mux object; a second request for the same object changes
-- nothing (the first reason stands).
create function public.mux_cleanup_enqueue(
  p_action text, p_object_id text, p_lesson_id uuid, p_reason text) returns void
  language sql as $$
  insert into public.mux_cleanups (action, object_id, lesson_id, reason)
    values (p_action, p_object_id, p_lesson_id, p_reason)
    on conflict (action, object_id) do nothing
$$;

-- Whoever deleted an asset (this service, someone in Mux's dashboard), once Mux says it is
-- gone there is nothing left to clean up. A cleanup a worker holds right now (its DELETE
-- is what Mux is announcing) is left to that worker rather than waited for.
create function public.mux_cleanup_close_deleted(ev public.mux_events) returns void
  language sql as $$
  update public.mux_cleanups c set state = 'done', done_at = now(),
      outcome = 'video.asset.deleted received', last_error = null
    where c.id in (
      select p.id from public.mux_cleanups p
        where ev.type = 'video.asset.deleted' and p.action = 'delete_asset'
          and p.object_id = ev.asset_id and p.state in ('pending', 'failed')
        for update skip locked)
$$;

-- Claims one due cleanup for the caller's transaction (other workers skip it while it is
-- held; a worker killed mid-call releases it with its connection). Deletions of replaced
-- assets wait out the retention period first. `p_lesson_id` limits it to one lesson's (an
-- author route carrying out at once what it just scheduled).
create function public.mux_cleanup_claim(p_retention interval, p_lesson_id uuid default null)
  returns setof public.mux_cleanups
  language sql set search_path = '' as $$
  select * from public.mux_cleanups c
    where c.state in ('pending', 'failed') and c.next_attempt_at <= now()
      and (c.reason <> 'replaced' or c.created_at <= now() - p_retention)
      and (p_lesson_id is null or c.lesson_id = p_lesson_id)
    order by c.next_attempt_at, c.id
    limit 1
    for update skip locked
$$;

-- Records what Mux said: done, or a retry with exponential backoff and jitter, `dead` after
-- p_max_attempts. `p_follow_up_asset` schedules an asset found behind a cancelled upload.
create function public.mux_cleanup_finish(
  p_id bigint, p_done boolean, p_message text, p_max_attempts integer,
  p_base_delay_seconds double precision, p_max_delay_seconds double precision,
  p_follow_up_asset text default null)
  returns public.mux_cleanups
  language plpgsql set search_path = '' as $$
declare
  c public.mux_cleanups;
begin
  update public.mux_cleanups m set
      attempts = m.attempts + 1,
      state = (case when p_done then 'done'
                    when m.attempts + 1 >= p_max_attempts then 'dead'
                    else 'failed' end)::public.mux_cleanup_state,
      outcome = case when p_done then p_message else m.outcome end,
      last_error = case when p_done then null else p_message end,
      done_at = case when p_done then now() end,
      next_attempt_at = case when p_done then m.next_attempt_at
        else now() + make_interval(secs =>
          least(p_max_delay_seconds, p_base_delay_seconds * 2 ^ m.attempts)
          * (0.5 + random() / 2)) end
    where m.id = p_id
    returning m.* into c;
  if p_done and c.action = 'delete_asset' then
    perform public.mux_forget_asset_parts(c.object_id);
  end if;
  if p_follow_up_asset is not null then
    perform public.mux_cleanup_enqueue('delete_asset', p_follow_up_asset, c.lesson_id, c.reason);
    update public.superseded_uploads set asset_id = p_follow_up_asset
      where upload_id = c.object_id and asset_id is null;
  end if;
  return c;
end $$;

-- An operator's replay: a failed or dead cleanup is due again now.
create function public.mux_cleanup_replay(p_id bigint) returns setof public.mux_cleanups
  language sql set search_path = '' as $$
  update public.mux_cleanups set state = 'pending', next_attempt_at = now()
    where id = p_id and state in ('failed', 'dead', 'pending')
    returning *
$$;

-- Every asset id the service still knows (current or superseded): the orphan sweep spares these.
create function public.mux_known_asset_ids(p_asset_ids text[]) returns setof text
  language sql stable set search_path = '' as $$
  select a from unnest(p_asset_ids) as a
    where exists (select 1 from public.lessons l where l.mux_asset_id = a)
       or exists (select 1 from public.superseded_uploads s
                    where s.asset_id = a and s.cleanup_reason is null)
       or exists (select 1 from public.mux_cleanups c
                    where c.action = 'delete_asset' and c.object_id = a
                      and c.state in ('pending', 'failed'))
$$;

-- The orphan sweep's --delete: schedules the deletion of those assets that are still unknown
-- (checked again here, in the transaction that schedules them); returns how many.
create function public.mux_cleanup_enqueue_orphans(p_asset_ids text[]) returns integer
  language plpgsql set search_path = '' as $$
declare
  a text;
  n integer := 0;
begin
  for a in
    select x from unnest(p_asset_ids) as x
    except
    select public.mux_known_asset_ids(p_asset_ids)
  loop
    perform public.mux_cleanup_enqueue('delete_asset', a, null, 'orphan');
    n := n + 1;
  end loop;
  return n;
end $$;

revoke all on function
  public.mux_cleanup_enqueue(text,text,uuid,text),
  public.mux_cleanup_close_deleted(public.mux_events),
  public.mux_cleanup_claim(interval,uuid),
  public.mux_cleanup_finish(bigint,boolean,text,integer,double precision,double precision,text),
  public.mux_cleanup_replay(bigint),
  public.mux_known_asset_ids(text[]),
  public.mux_cleanup_enqueue_orphans(text[])
  from public, anon, authenticated;

grant execute on function
  public.mux_cleanup_claim(interval,uuid),
  public.mux_cleanup_finish(bigint,boolean,text,integer,double precision,double precision,text),
  public.mux_cleanup_replay(bigint),
  public.mux_known_asset_ids(text[]),
  public.mux_cleanup_enqueue_orphans(text[])
  to service_role;
