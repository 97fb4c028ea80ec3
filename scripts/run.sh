#!/usr/bin/env bash
# `make run`: the platform with demo data on embedded defaults (SQLite, the SQLite broker, mail to
# files under var/mail), a Celery worker beside the web server, and Ctrl-C stopping both.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export DEBUG="${DEBUG:-1}"
python=.venv/bin/python

$python manage.py migrate --no-input -v 0
$python manage.py seed_demo

pids=()
$python -m celery -A civic worker --pool=solo --loglevel=WARNING -Q transactional,default &
pids+=($!)
$python -m celery -A civic beat --loglevel=WARNING --schedule var/celerybeat-schedule &
pids+=($!)
$python manage.py runserver 127.0.0.1:8000 &
pids+=($!)
stop() {
    trap - EXIT INT TERM
    kill "${pids[@]}" 2>/dev/null || true
    wait "${pids[@]}" 2>/dev/null || true
}
trap stop EXIT INT TERM

echo "civic is at http://127.0.0.1:8000 (admin at /admin/); Ctrl-C stops it."
# When any of the three stops (or Ctrl-C arrives), stop the others too.
wait -n "${pids[@]}" || true
