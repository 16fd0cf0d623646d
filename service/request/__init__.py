"""What every API route reads from a request: who is calling (Supabase access tokens), ids
in the path, bounded bodies, revisions; and the headers every response carries."""
