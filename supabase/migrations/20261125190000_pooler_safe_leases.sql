-- Works through any pooler, Supabase's transaction pooler (port 6543) included.
--
-- Leases: "one instance at a time" as rows rather than session advisory locks. Behind a
-- transaction pooler a session lock is taken on one server connection and released (or not)
-- on another, so it can leak and stop every later run. A lease expires by itself: a holder
-- that crashed blocks the others for at most its lease.
create table public.service_leases (
  name text primary key,
  holder text not null,
  expires_at timestamptz not null
);
alter table public.service_leases enable row level security;
revoke all on public.service_leases from anon, authenticated;
grant all on public.service_leases to service_role;

-- Live status without LISTEN (no session-capable connection configured) polls; the status
-- page's poll reads the lessons changed in the last seconds.
create index lessons_updated_at_idx on public.lessons (updated_at);
