#!/usr/bin/env bash
# `make run`: the platform with demo data on embedded defaults (SQLite, the SQLite broker, mail to
# files under var/mail), a Celery worker beside the web server, and Ctrl-C stopping both.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export DEBUG="${DEBUG:-1}"
python=.venv/bin/python

$python manage.py migrate --no-input -v 0
$python manage.py seed_demo

$python -m celery -A civic worker --pool=solo --loglevel=WARNING -Q default &
worker=$!
$python -m celery -A civic beat --loglevel=WARNING --schedule var/celerybeat-schedule &
beat=$!
stop() {
    kill "$worker" "$beat" 2>/dev/null || true
    wait "$worker" "$beat" 2>/dev/null || true
}
trap stop EXIT INT TERM

echo "civic is at http://127.0.0.1:8000 (admin at /admin/); Ctrl-C stops it."
$python manage.py runserver 127.0.0.1:8000
