#!/usr/bin/env bash
# `make run`: the platform with demo data on embedded defaults (SQLite, the SQLite broker, mail to
# files under var/mail), a Celery worker beside the web server, and Ctrl-C stopping both.
# PORT (default 8000) chooses the port; links in e-mails (CIVIC_SITE_URL) follow it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export DEBUG="${DEBUG:-1}"
port="${PORT:-8000}"
address="http://127.0.0.1:${port}"
export CIVIC_SITE_URL="${CIVIC_SITE_URL:-$address}"
python=.venv/bin/python

$python manage.py migrate --no-input -v 0
$python manage.py seed_demo

pids=()
$python -m celery -A civic worker --pool=solo --loglevel=WARNING -Q transactional,default &
pids+=($!)
$python -m celery -A civic beat --loglevel=WARNING --schedule "${CIVIC_VAR_DIR:-var}/celerybeat-schedule" &
pids+=($!)
$python manage.py runserver "127.0.0.1:${port}" &
server=$!
pids+=($server)
stop() {
    trap - EXIT INT TERM
    kill "${pids[@]}" 2>/dev/null || true
    wait "${pids[@]}" 2>/dev/null || true
}
trap stop EXIT INT TERM

# Say where it is only once it answers (runserver takes a few seconds to start).
if $python - "$address/healthz" "$server" <<'PY'
import os, sys, time, urllib.error, urllib.request
url, server = sys.argv[1], int(sys.argv[2])
deadline = time.monotonic() + 120
while time.monotonic() < deadline:
    try:
        os.kill(server, 0)
    except OSError:
        sys.exit(1)  # the server stopped: runserver has said why
    try:
        with urllib.request.urlopen(url, timeout=2):
            sys.exit(0)
    except urllib.error.HTTPError:
        sys.exit(0)  # it answers, if only to say what is failing
    except OSError:
        time.sleep(0.25)
sys.exit(1)
PY
then
    echo "civic is at ${address} (admin at ${address}/admin/); Ctrl-C stops it."
else
    echo "civic did not answer at ${address}; see the messages above." >&2
fi
# When any of the three stops (or Ctrl-C arrives), stop the others too.
wait -n "${pids[@]}" || true
