"""The bare baseline (bench.bare_settings) as a WSGI application, served like civic.wsgi."""

import os

from django.core.wsgi import get_wsgi_application

os.environ["DJANGO_SETTINGS_MODULE"] = "bench.bare_settings"
application = get_wsgi_application()
