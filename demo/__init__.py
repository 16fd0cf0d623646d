"""The offline end-to-end demo (`make demo`)."""
