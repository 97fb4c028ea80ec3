"""Background work of the contacts app; each concern keeps its tasks in its own module."""

from contacts.tasks.gdpr import *  # noqa: F403
from contacts.tasks.imports import *  # noqa: F403
from contacts.tasks.my_data import *  # noqa: F403
