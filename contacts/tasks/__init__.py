"""Background work of the contacts app; each concern keeps its tasks in its own module."""

from contacts.tasks.my_data import *  # noqa: F403
