"""The floor every other figure is compared with: Django with no apps, no middleware, no database.

Whatever civic's pages cost beyond this is ours (middleware, queries, templates), not the
framework's or the server's.
"""

import secrets

SECRET_KEY = secrets.token_urlsafe(50)
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
ROOT_URLCONF = "bench.bare_urls"
INSTALLED_APPS: list[str] = []
MIDDLEWARE: list[str] = []
DATABASES: dict = {}
TEMPLATES: list = []
USE_I18N = False
USE_TZ = True
LOGGING_CONFIG = None
