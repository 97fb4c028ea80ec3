"""Settings for civic, read from the environment.

One module for every environment: safe local defaults (SQLite, an embedded broker, mail written to
files) so that `make run` needs no server, and a refusal to start in production (DEBUG off) without
what production needs. Every variable is documented in the README.
"""

import os
import sys
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("CIVIC_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
# Under pytest the suite brings its own safe values; a plain process never counts as a test run.
TESTING = env_bool("CIVIC_TESTING", False) or "pytest" in sys.modules
# A test run's own embedded broker and cache, so that `make run` from the same checkout (whose
# worker would take the tests' tasks) and another test run never share them. The worker
# processes a test starts are given the same directory (tests/worker.py), and pytest removes it
# at the end (tests/conftest.py); a CIVIC_TESTING command outside pytest (the migrations check)
# shares one that stays.
TEST_RUN_DIR = Path(
    os.environ.get("CIVIC_TEST_RUN_DIR")
    or VAR_DIR / (f"test-{os.getpid()}" if "pytest" in sys.modules else "test")
)
if TESTING:
    TEST_RUN_DIR.mkdir(parents=True, exist_ok=True)

_INSECURE_KEY = "django-insecure-civic-local-development-key-not-for-production-use"
SECRET_KEY = os.environ.get("SECRET_KEY", "")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")

if not DEBUG and not TESTING:
    if not SECRET_KEY or SECRET_KEY.startswith("django-insecure") or len(SECRET_KEY) < 50:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set to a random value of at least 50 characters when DEBUG is off."
        )
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured(
            "ALLOWED_HOSTS must list the host names civic answers to when DEBUG is off."
        )
SECRET_KEY = SECRET_KEY or _INSECURE_KEY
if DEBUG or TESTING:
    ALLOWED_HOSTS = ALLOWED_HOSTS or ["127.0.0.1", "localhost", "[::1]", "testserver"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "rules.apps.AutodiscoverRulesConfig",
    "allauth",
    "allauth.account",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "anymail",
    "civic",
    "contacts",
    "mailing",
    "consultations",
    "petitions",
    "budgets",
    "debates",
    "events",
]

if "pytest" in sys.modules:
    # A department-owned test-only feature that shows the core's scoping end to end (tests/).
    INSTALLED_APPS.append("tests.scoped_feature")

MIDDLEWARE = [
    # First: answers a visitor who may share a page just served, without the rest (pagecache).
    "civic.pagecache.SharedPageMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Last, so that its 400 gets every header above; everything above is lazy about the input.
    "civic.middleware.UnstorableInputMiddleware",
]

ROOT_URLCONF = "civic.urls"
WSGI_APPLICATION = "civic.wsgi.application"
ASGI_APPLICATION = "civic.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "civic.context_processors.site",
                "civic.pagecache.csrf_mark",
            ],
        },
    }
]

# Database: DATABASE_URL, or a SQLite file under var/ for `make run`.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'civic.sqlite3'}"),
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the worker write while the web process reads; the timeout rides out short locks.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # A file, not memory, so that a Celery worker process started by the tests shares it; one per
    # test run, so that two runs on one machine never share it.
    DATABASES["default"]["TEST"] = {"NAME": str(TEST_RUN_DIR / "database.sqlite3")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # PostgreSQL's JIT compiles plans for large estimated costs; for the short queries of a web
    # request it costs more than it saves (about 0.1 s on a segment count), so it is off. On SSDs
    # a random read costs little more than a sequential one: at the default of 4 the planner
    # scans every answer rather than use an index (results page 1.6 s against 1.3 s).
    _server_options = "-c jit=off -c random_page_cost=1.1"
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = _server_options
    # The same backend with a health check that costs no round trip (civic/postgresql/base.py).
    DATABASES["default"]["ENGINE"] = "civic.postgresql"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache: Redis when REDIS_URL is set (shared by every web process), else files under var/.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "civic.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "civic"),
            "TIMEOUT": 300,
        }
    }
else:
    # Files under var/ rather than each process's memory, so that the web process sees what a
    # worker counted (a consultation's results) and every process shares the rate limits.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": TEST_RUN_DIR / "cache" if TESTING else VAR_DIR / "cache",
            "TIMEOUT": 300,
        }
    }

SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

AUTH_USER_MODEL = "civic.User"
AUTHENTICATION_BACKENDS = [
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"

# django-allauth: e-mail only, verified, confirmations by POST so a mail scanner's GET does nothing.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
# Its words in the service's own voice (labels, errors, e-mails naming CIVIC_SITE_NAME).
ACCOUNT_ADAPTER = "civic.accounts.AccountAdapter"
ACCOUNT_FORMS = {
    "login": "civic.accounts.LoginForm",
    "signup": "civic.accounts.SignupForm",
    "add_email": "civic.accounts.AddEmailForm",
    "change_password": "civic.accounts.ChangePasswordForm",
    "set_password": "civic.accounts.SetPasswordForm",
    "reset_password": "civic.accounts.ResetPasswordForm",
    "reset_password_from_key": "civic.accounts.ResetPasswordKeyForm",
    "reauthenticate": "civic.accounts.ReauthenticateForm",
}
ACCOUNT_RATE_LIMITS = {
    "login_failed": os.environ.get("CIVIC_LOGIN_FAILED_RATE", "10/m/ip,5/5m/key"),
}
ALLAUTH_TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))

# Internationalisation: every user-facing string is marked; LANGUAGES is configurable.
LANGUAGE_CODE = os.environ.get("LANGUAGE_CODE", "en-gb")
_languages = env_list("CIVIC_LANGUAGES", "en-gb:English")
LANGUAGES = [tuple(item.split(":", 1)) for item in _languages]
if len(LANGUAGES) > 1:
    # Choosing a language per visitor (from the address, cookie or browser) is only work when
    # there is more than one to choose from; with one, every page is in LANGUAGE_CODE.
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.middleware.common.CommonMiddleware"),
        "django.middleware.locale.LocaleMiddleware",
    )
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/London")
USE_I18N = True
USE_TZ = True

# Static files: govuk-frontend is built into static/build by `make assets`; whitenoise serves them.
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "staticfiles"))
if DEBUG or TESTING:
    # whitenoise warns on every start without it; locally, files come from the finders anyway.
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
WHITENOISE_USE_FINDERS = DEBUG or TESTING
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Uploads: a ceiling on size, and only the listed types (civic.validators.validate_upload).
CIVIC_UPLOAD_MAX_BYTES = int(os.environ.get("CIVIC_UPLOAD_MAX_BYTES", str(20 * 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000

# E-mail (Django 6.1's MAILERS): files under var/mail by default; SMTP or any anymail ESP by
# EMAIL_BACKEND, with the SMTP server in EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER, ... .
EMAIL_BACKEND_PATH = os.environ.get(
    "EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend"
)
_mailer_options: dict[str, object] = {}
if EMAIL_BACKEND_PATH.endswith("filebased.EmailBackend"):
    _mailer_options["file_path"] = os.environ.get("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
elif EMAIL_BACKEND_PATH.endswith("smtp.EmailBackend"):
    _mailer_options.update(
        host=os.environ.get("EMAIL_HOST", "localhost"),
        port=int(os.environ.get("EMAIL_PORT", "25")),
        username=os.environ.get("EMAIL_HOST_USER", ""),
        password=os.environ.get("EMAIL_HOST_PASSWORD", ""),
        use_tls=env_bool("EMAIL_USE_TLS", False),
        timeout=int(os.environ.get("EMAIL_TIMEOUT", "30")),
    )
# Everything the code sends goes to the outbox first ("default", mailing.backends): a worker sends
# it from the transactional queue through "outbound", the backend chosen above.
MAILERS = {
    "default": {"BACKEND": "mailing.backends.OutboxBackend"},
    "outbound": {"BACKEND": EMAIL_BACKEND_PATH, "OPTIONS": _mailer_options},
}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "civic <no-reply@civic.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# anymail reads its ESP credentials from ANYMAIL_* variables, e.g. ANYMAIL_POSTMARK_SERVER_TOKEN.
ANYMAIL = {
    key.removeprefix("ANYMAIL_"): value
    for key, value in os.environ.items()
    if key.startswith("ANYMAIL_")
}

# Celery: Redis in production; an embedded SQLite broker (kombu's SQLAlchemy transport) locally,
# so background work still leaves the web request under `make run` with no server running.
CELERY_BROKER_URL = os.environ.get(
    "CELERY_BROKER_URL",
    f"sqla+sqlite:///{(TEST_RUN_DIR if TESTING else VAR_DIR) / 'broker.sqlite3'}",
)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    # A task a dead worker had taken comes back after an hour; longer than any task's time limit.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_DEFAULT_QUEUE = "default"
# Transactional mail (receipts, confirmations, resume links) has its own queue, so that a
# 100,000-recipient campaign never holds it up; give it its own worker in production.
CELERY_TASK_ROUTES = {"mailing.tasks.transactional_send_task": {"queue": "transactional"}}
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    # Anonymise contacts past CIVIC_CONTACT_RETENTION_DAYS, at night when the site is quiet.
    "contacts-retention": {
        "task": "contacts.tasks.gdpr.contacts_retention_task",
        "schedule": crontab(hour=3, minute=15),
    },
    # Start scheduled campaigns and wake workers for retries and for rows of workers that died.
    "mailing-sweep": {
        "task": "mailing.tasks.mailing_sweep_task",
        "schedule": float(os.environ.get("CIVIC_MAIL_SWEEP_SECONDS", "10")),
    },
    # Remind people booked on an event the day before and an hour before (CIVIC_EVENT_REMINDERS).
    "events-reminders": {
        "task": "events.tasks.event_reminders_task",
        "schedule": float(os.environ.get("CIVIC_EVENT_REMINDER_SWEEP_SECONDS", "300")),
    },
    # Delete survey drafts that can no longer be sent (resume link expired, or closed).
    "consultations-drafts-remove": {
        "task": "consultations.tasks.drafts_remove_task",
        "schedule": crontab(hour=3, minute=30),
    },
    # Delete officers' exports of responses past CIVIC_EXPORT_DAYS; queue any left waiting.
    "consultations-exports-sweep": {
        "task": "consultations.tasks.exports_sweep_task",
        "schedule": crontab(minute="*/10"),
    },
    # Confirmation e-mails of signatures whose task was lost (the broker restarted, say).
    "petitions-confirmations-sweep": {
        "task": "petitions.tasks.confirmations_send_task",
        "schedule": 60.0,
    },
    # Count published petitions again and log any drift from their confirmed signatures.
    "petitions-recount": {
        "task": "petitions.tasks.petitions_recount_task",
        "schedule": crontab(minute="*/15"),
    },
    # Unconfirmed signatures expire, closed petitions' signatures are anonymised.
    "petitions-housekeeping": {
        "task": "petitions.tasks.petitions_housekeeping_task",
        "schedule": crontab(hour=3, minute=45),
    },
    # Work out the results of participatory budgets whose voting has closed.
    "budgets-results-sweep": {
        "task": "budgets.tasks.results_sweep_task",
        "schedule": crontab(minute="*/5"),
    },
    # Delete downloads of people's data once their links have expired.
    "contacts-data-exports-expire": {
        "task": "contacts.tasks.gdpr.data_exports_expire_task",
        "schedule": crontab(minute=40),
    },
    # Offers of a place from an event's waiting list that were not accepted in time end, and
    # the places go to the next on the list.
    "events-offers-expire": {
        "task": "events.tasks.offers_expire_task",
        "schedule": 60.0,
    },
    # Debate followers' daily digests: hourly in the day, each follower once a day.
    "debates-digests": {
        "task": "debates.tasks.digests_send_task",
        "schedule": crontab(minute=5, hour="7-21"),
    },
}

# Security headers: a CSP with no inline script or style; HSTS and secure cookies in production.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
if not DEBUG and not TESTING:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# The API: open data, read-only for anonymous users; schema by drf-spectacular.
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "civic.api_base.AutoSchema",
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    # Sessions only: signing in happens on allauth's rate-limited form, never by guessing through
    # HTTP Basic on the API.
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PAGINATION_CLASS": "civic.pagination.ApiPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "civic open data API",
    "DESCRIPTION": "Open data published by councils on civic. No personal data is ever served.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Fields of one name with different choices in two apps get a name of their own each.
    "ENUM_NAME_OVERRIDES": {
        "EventStateEnum": ["published", "cancelled"],
        "PetitionStateEnum": ["open", "rejected"],
    },
}

# The site's own branding (each organisation also has a name and a colour of its own).
CIVIC_SITE_NAME = os.environ.get("CIVIC_SITE_NAME", "civic")
CIVIC_BRAND_COLOUR = os.environ.get("CIVIC_BRAND_COLOUR", "#1d4f91")
# Whether officers may see the contacts who took part in their departments' items.
CIVIC_OFFICERS_SEE_CONTACTS = env_bool("CIVIC_OFFICERS_SEE_CONTACTS", False)
# How long a link to download a copy of one's data works.
CIVIC_DATA_EXPORT_DAYS = int(os.environ.get("CIVIC_DATA_EXPORT_DAYS", "7"))
# Contacts with no live consent and no activity for this many days are anonymised.
CIVIC_CONTACT_RETENTION_DAYS = int(os.environ.get("CIVIC_CONTACT_RETENTION_DAYS", "1095"))
# The site's own address, for links in e-mails sent from workers (no request to build them from).
CIVIC_SITE_URL = os.environ.get("CIVIC_SITE_URL", "http://127.0.0.1:8000").rstrip("/")
CIVIC_CONTACT_EMAIL = os.environ.get("CIVIC_CONTACT_EMAIL", "participation@civic.localhost")

# Responding to consultations: starts and submits allowed per client address, the fewest
# seconds between opening the survey and submitting (faster is a script), and how long the
# "come back later" link works.
CIVIC_RESPONSE_RATE = os.environ.get("CIVIC_RESPONSE_RATE", "20/h")
CIVIC_RESPONSE_MIN_SECONDS = float(os.environ.get("CIVIC_RESPONSE_MIN_SECONDS", "5"))
CIVIC_RESPONSE_RESUME_DAYS = int(os.environ.get("CIVIC_RESPONSE_RESUME_DAYS", "30"))
# Consultation results are counted again by a worker this long after a submission.
CIVIC_RESULTS_RECOUNT_SECONDS = float(os.environ.get("CIVIC_RESULTS_RECOUNT_SECONDS", "5"))
# Officers' Excel exports of responses are kept this many days, then deleted.
CIVIC_EXPORT_DAYS = int(os.environ.get("CIVIC_EXPORT_DAYS", "7"))
# A CSV of up to this many responses streams in the request; larger ones a worker writes.
CIVIC_EXPORT_INLINE_ROWS = int(os.environ.get("CIVIC_EXPORT_INLINE_ROWS", "20000"))

# Petitions (petitions.services.signing): signatures per client address over a short burst and a
# longer window, networks exempt from both (a library's, the council's own), the least seconds
# from drawing the form to posting it, how long a confirmation link works (unconfirmed
# signatures go after it), e-mails about repeat attempts, and how soon a worker counts.
CIVIC_PETITION_SIGN_BURST = os.environ.get("CIVIC_PETITION_SIGN_BURST", "10/m")
CIVIC_PETITION_SIGN_SUSTAINED = os.environ.get("CIVIC_PETITION_SIGN_SUSTAINED", "60/h")
CIVIC_PETITION_IP_ALLOWLIST = env_list("CIVIC_PETITION_IP_ALLOWLIST")
CIVIC_PETITION_MIN_SECONDS = float(os.environ.get("CIVIC_PETITION_MIN_SECONDS", "3"))
CIVIC_PETITION_CONFIRM_DAYS = int(os.environ.get("CIVIC_PETITION_CONFIRM_DAYS", "7"))
CIVIC_PETITION_REPEAT_NOTICES = int(os.environ.get("CIVIC_PETITION_REPEAT_NOTICES", "3"))
CIVIC_PETITION_COUNT_SECONDS = float(os.environ.get("CIVIC_PETITION_COUNT_SECONDS", "2"))

# Participatory budgets (budgets.services): ideas proposed per client address over a short
# burst and a longer window, networks exempt from both, and the least seconds from drawing the
# form to posting it.
CIVIC_BUDGET_PROPOSE_BURST = os.environ.get("CIVIC_BUDGET_PROPOSE_BURST", "5/m")
CIVIC_BUDGET_PROPOSE_SUSTAINED = os.environ.get("CIVIC_BUDGET_PROPOSE_SUSTAINED", "30/h")
CIVIC_BUDGET_IP_ALLOWLIST = env_list("CIVIC_BUDGET_IP_ALLOWLIST")
CIVIC_BUDGET_PROPOSE_MIN_SECONDS = float(os.environ.get("CIVIC_BUDGET_PROPOSE_MIN_SECONDS", "5"))

# Debates (debates.services): points added per client address over a short burst and a longer
# window, networks exempt from both, and the least seconds from drawing the form to posting it.
CIVIC_DEBATE_POINT_BURST = os.environ.get("CIVIC_DEBATE_POINT_BURST", "5/m")
CIVIC_DEBATE_POINT_SUSTAINED = os.environ.get("CIVIC_DEBATE_POINT_SUSTAINED", "30/h")
CIVIC_DEBATE_IP_ALLOWLIST = env_list("CIVIC_DEBATE_IP_ALLOWLIST")
CIVIC_DEBATE_POINT_MIN_SECONDS = float(os.environ.get("CIVIC_DEBATE_POINT_MIN_SECONDS", "3"))
# ... the same for comments, and how many minutes its author may edit a comment.
CIVIC_DEBATE_COMMENT_BURST = os.environ.get("CIVIC_DEBATE_COMMENT_BURST", "10/m")
CIVIC_DEBATE_COMMENT_SUSTAINED = os.environ.get("CIVIC_DEBATE_COMMENT_SUSTAINED", "120/h")
CIVIC_DEBATE_COMMENT_MIN_SECONDS = float(os.environ.get("CIVIC_DEBATE_COMMENT_MIN_SECONDS", "3"))
CIVIC_DEBATE_COMMENT_EDIT_MINUTES = int(os.environ.get("CIVIC_DEBATE_COMMENT_EDIT_MINUTES", "15"))
# A conversation's opinion groups are worked out again by a worker this long after a vote.
CIVIC_CONVERSATION_RESULTS_SECONDS = float(
    os.environ.get("CIVIC_CONVERSATION_RESULTS_SECONDS", "3")
)
# How many residents must report a comment or point before it is hidden for review.
CIVIC_DEBATE_REPORT_THRESHOLD = int(os.environ.get("CIVIC_DEBATE_REPORT_THRESHOLD", "3"))

# Events (events.services.registering): registrations per client address over a short burst
# and a longer window, networks exempt from both, and the least seconds from drawing the form
# to posting it.
CIVIC_EVENT_REGISTER_BURST = os.environ.get("CIVIC_EVENT_REGISTER_BURST", "10/m")
CIVIC_EVENT_REGISTER_SUSTAINED = os.environ.get("CIVIC_EVENT_REGISTER_SUSTAINED", "60/h")
CIVIC_EVENT_IP_ALLOWLIST = env_list("CIVIC_EVENT_IP_ALLOWLIST")
CIVIC_EVENT_REGISTER_MIN_SECONDS = float(os.environ.get("CIVIC_EVENT_REGISTER_MIN_SECONDS", "3"))
# Reminders before an event: "1d" the day before at the same local time, "1h" an hour before.
CIVIC_EVENT_REMINDERS = env_list("CIVIC_EVENT_REMINDERS") or ["1d", "1h"]
# How long someone offered a place from a waiting list has to accept it (never past the start).
CIVIC_EVENT_OFFER_HOURS = float(os.environ.get("CIVIC_EVENT_OFFER_HOURS", "24"))

# Mailing engine (mailing.engine). Each organisation's rate can be changed in the admin; this is
# the rate a new organisation starts with (0: as fast as the mail server accepts).
CIVIC_MAIL_RATE_PER_SECOND = int(os.environ.get("CIVIC_MAIL_RATE_PER_SECOND", "0"))
# Rows a worker claims at a time, and how many tasks a campaign starts with (one per worker).
CIVIC_MAIL_CHUNK_SIZE = int(os.environ.get("CIVIC_MAIL_CHUNK_SIZE", "200"))
CIVIC_MAIL_PARALLEL_TASKS = int(os.environ.get("CIVIC_MAIL_PARALLEL_TASKS", "2"))
# A claim lapses this long after a worker stops renewing it (it died, or froze), and its rows
# go to another worker at the next sweep: a crashed worker's share resumes within this plus
# CIVIC_MAIL_SWEEP_SECONDS (25 s by default; docs/operations.md). A worker renews every third of
# it, and confirms its claim before completing each message, so a short lease costs no duplicate.
CIVIC_MAIL_LEASE_SECONDS = float(os.environ.get("CIVIC_MAIL_LEASE_SECONDS", "15"))
# A sending task gives way after this long and the campaign goes on in a fresh task.
CIVIC_MAIL_TASK_SECONDS = int(os.environ.get("CIVIC_MAIL_TASK_SECONDS", "120"))
# Transient failures wait RETRY_SECONDS, doubling each time up to the ceiling, for MAX_ATTEMPTS.
CIVIC_MAIL_RETRY_SECONDS = float(os.environ.get("CIVIC_MAIL_RETRY_SECONDS", "30"))
CIVIC_MAIL_RETRY_CEILING_SECONDS = float(os.environ.get("CIVIC_MAIL_RETRY_CEILING_SECONDS", "3600"))
CIVIC_MAIL_MAX_ATTEMPTS = int(os.environ.get("CIVIC_MAIL_MAX_ATTEMPTS", "6"))
# The mailto: half of List-Unsubscribe; mail to it arrives through anymail's inbound webhook.
CIVIC_UNSUBSCRIBE_MAILTO = os.environ.get(
    "CIVIC_UNSUBSCRIBE_MAILTO",
    "unsubscribe@" + (urlsplit(CIVIC_SITE_URL).hostname or "civic.localhost"),
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Production must really send mail; files under var/ would silently lose it.
if (
    not DEBUG
    and not TESTING
    and EMAIL_BACKEND_PATH.endswith("filebased.EmailBackend")
    and not env_bool("CIVIC_ALLOW_FILE_EMAIL", False)
):
    raise ImproperlyConfigured(
        "EMAIL_BACKEND must be SMTP or an anymail ESP when DEBUG is off "
        "(set CIVIC_ALLOW_FILE_EMAIL=1 to keep mail in files on purpose)."
    )
# anymail accepts unauthenticated webhooks with only a warning; forged "complained" events would
# unsubscribe and suppress residents, so production refuses to start without the secret.
if not DEBUG and not TESTING and not ANYMAIL.get("WEBHOOK_SECRET"):
    raise ImproperlyConfigured(
        "Set ANYMAIL_WEBHOOK_SECRET (user:password) when DEBUG is off: the ESP tracking "
        "webhooks at /anymail/ must be authenticated."
    )
