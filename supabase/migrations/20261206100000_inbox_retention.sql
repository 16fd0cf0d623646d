-- The inbox over time (issue 27): settled events (`applied`, `ignored`) older than the worker's
-- INBOX_RETENTION_DAYS are deleted, a small batch a call, oldest first; `pending`, `failed`,
-- `unmatched` and `dead` ones never are (they are work, or an operator's to look at). Nothing
-- reads a settled event again: the state machine decides from the lesson's row, and parked
-- events are matched from `unmatched` rows only. Rows another transaction holds are skipped,
-- never waited for. Expand only: a new function; the previous release does not call it.
create function public.mux_events_prune(p_older_than interval, p_limit integer)
  returns integer
  language plpgsql set search_path = '' as $$
declare
  deleted integer;
begin
  delete from public.mux_events e
   where e.id in (
     select x.id from public.mux_events x
      where x.received_at < now() - p_older_than
        and x.state in ('applied', 'ignored')
      order by x.received_at
      limit p_limit
      for update skip locked);
  get diagnostics deleted = row_count;
  return deleted;
end $$;

revoke all on function public.mux_events_prune(interval, integer)
  from public, anon, authenticated;
grant execute on function public.mux_events_prune(interval, integer) to service_role;
