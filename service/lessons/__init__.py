"""The author and catalog API: lessons, courses and their videos as the front end reads and
changes them, and signed playback tokens."""
