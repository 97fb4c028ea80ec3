#!/usr/bin/env bash
# `make test`: lint, migrations check and the whole suite. PostgreSQL, Redis and a Redis broker are
# used when DATABASE_URL, REDIS_URL and CELERY_BROKER_URL point at them (as .ci/run does);
# otherwise the embedded defaults. Under CI=true any skipped test fails the run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bin=.venv/bin

echo "== ruff"
$bin/ruff check .
$bin/ruff format --check .
echo "== djlint"
$bin/djlint templates */templates --lint
echo "== migrations"
CIVIC_TESTING=1 $bin/python manage.py makemigrations --check --dry-run
echo "== pytest"
# Said without any password a URL may carry.
hide() { sed -E 's#//[^@/]*@#//#'; }
echo "database: $(echo "${DATABASE_URL:-SQLite under var/test-<pid>/, kept for this run only (embedded default)}" | hide)"
echo "cache: $(echo "${REDIS_URL:-files under var/test-<pid>/, kept for this run only (embedded default)}" | hide)"
echo "broker: $(echo "${CELERY_BROKER_URL:-SQLite under var/test-<pid>/, kept for this run only (embedded default)}" | hide)"
exec $bin/pytest --create-db "$@"
