"""The author's routes: courses, lessons, their order, uploads and videos; what they share
(`fields`, `cleanup_now`)."""
