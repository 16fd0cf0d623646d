"""Webhooks in: the route, `Mux-Signature` verification, the inbox (stored once, applied
through the state machine) and the reconciler that repairs what never arrived."""
