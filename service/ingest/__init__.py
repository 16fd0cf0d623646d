"""Webhooks in: the route, `Mux-Signature` verification, the inbox (new events stored once and
applied through the state machine; stored ones retried, replayed, listed) and the reconciler
that repairs what never arrived."""
