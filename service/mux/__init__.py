"""Everything that talks to Mux or speaks its formats: the client (the only code that calls
Mux), the per-user budget of Mux calls, signed playback tokens, the cleanup outbox carried out
at Mux, and the orphan sweep."""
