-- Leases: "one instance at a time" as rows rather than session advisory locks, so it works
-- through any pooler (Supabase's transaction pooler included). A lease expires by itself: a
-- holder that crashed blocks the others for at most its lease.
create table public.service_leases (
  name text primary key,
  holder text not null,
  expires_at timestamptz not null
);
alter table public.service_leases enable row level security;
revoke all on public.service_leases from anon, authenticated;
grant all on public.service_leases to service_role;
