"""Live status: one LISTEN hub per process, streams grouped by lesson and course with
visibility decided per viewer, the SSE helpers, and the lesson and course streams."""
