"""mux-lessons: Mux webhooks in, reliable real-time lesson video status in Supabase Postgres out."""
