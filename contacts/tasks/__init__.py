"""Background work of the contacts app; each concern keeps its tasks in its own module."""
