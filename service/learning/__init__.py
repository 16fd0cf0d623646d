"""What learners use: the catalog, a course, a lesson and its video as the caller may see them
(RLS decides; an author sees their own drafts too), and a learner's progress."""
