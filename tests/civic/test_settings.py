"""Production refuses to start without what it needs, and `check --deploy` is clean."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Variables of the test run that a production process never has.
PRODUCTION_UNSAFE = {
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "CIVIC_TESTING",
    "EMAIL_BACKEND",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
}
GOOD_KEY = "k" * 20 + "x9Yq2-Lm4!vB7nR0tZ8wP3sD6fH1jK5cE" + "q" * 10


def run_django(code: str, **env) -> subprocess.CompletedProcess:
    clean = {key: value for key, value in os.environ.items() if key not in PRODUCTION_UNSAFE}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "civic.settings"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = run_django("print('started')", ALLOWED_HOSTS="civic.example")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts():
    result = run_django("print('started')", SECRET_KEY=GOOD_KEY)
    assert result.returncode != 0
    assert "ALLOWED_HOSTS must list" in result.stderr


def test_production_refuses_to_keep_mail_in_files_unless_told_to():
    result = run_django("print('started')", SECRET_KEY=GOOD_KEY, ALLOWED_HOSTS="civic.example")
    assert result.returncode != 0
    assert "EMAIL_BACKEND must be SMTP or an anymail ESP" in result.stderr


def test_production_refuses_to_take_unauthenticated_mail_webhooks():
    result = run_django(
        "print('started')",
        SECRET_KEY=GOOD_KEY,
        ALLOWED_HOSTS="civic.example",
        EMAIL_BACKEND="anymail.backends.postmark.EmailBackend",
    )
    assert result.returncode != 0
    assert "Set ANYMAIL_WEBHOOK_SECRET" in result.stderr


def test_the_deploy_check_reports_nothing_with_production_settings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={
            **{key: value for key, value in os.environ.items() if key not in PRODUCTION_UNSAFE},
            "DEBUG": "0",
            "SECRET_KEY": GOOD_KEY,
            "ALLOWED_HOSTS": "civic.example",
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "ANYMAIL_WEBHOOK_SECRET": "postmark:a-long-random-secret",
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_every_model_change_has_its_migration_including_the_test_only_app(db):
    from django.core.management import call_command

    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_the_language_is_chosen_per_visitor_only_when_there_is_more_than_one():
    code = (
        "from django.conf import settings; "
        "print('locale' if 'django.middleware.locale.LocaleMiddleware' in settings.MIDDLEWARE "
        "else 'none')"
    )
    one = run_django(code, DEBUG="1")
    two = run_django(code, DEBUG="1", CIVIC_LANGUAGES="en-gb:English,cy:Cymraeg")
    assert (one.stdout.strip(), two.stdout.strip()) == ("none", "locale"), one.stderr + two.stderr
