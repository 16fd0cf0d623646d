"""Everything that talks to Mux: the client (the only code that calls Mux), the per-user
budget of Mux calls, the cleanup outbox carried out at Mux, and the orphan sweep."""
