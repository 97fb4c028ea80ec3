# syntax=docker/dockerfile:1
#
# civic's production image: one image for the web, the Celery worker, beat and migrations; the
# command differs (docker-compose.yml). See docs/operations.md.
#
#   docker build -t civic .

# ---- Front-end assets: GOV.UK Frontend and the sass build, into static/build ------------------
FROM node:20-slim AS assets
WORKDIR /src
# The lock file alone decides node_modules, so this layer is reused until dependencies change.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY scripts/ scripts/
COPY frontend/ frontend/
COPY static/ static/
RUN bash scripts/build-assets.sh && test -d static/build

# ---- The application --------------------------------------------------------------------------
FROM python:3.13-slim AS app

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

RUN groupadd --system --gid 10001 civic \
    && useradd --system --uid 10001 --gid civic --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin civic

WORKDIR /app

# Dependencies from pyproject.toml, in a layer that code changes do not invalidate: install the
# project with a placeholder package, then remove the placeholder so that only the dependencies
# stay. The code itself runs from /app (PYTHONPATH below), together with the apps that
# pyproject.toml does not package.
COPY pyproject.toml README.md requirements.lock ./
RUN mkdir civic && touch civic/__init__.py \
    && pip install -c requirements.lock ".[esp]" \
    && pip uninstall --yes civic \
    && rm -rf civic build ./*.egg-info

COPY . .
COPY --from=assets /src/static/build/ static/build/

ENV DJANGO_SETTINGS_MODULE=civic.settings \
    PYTHONPATH=/app \
    CIVIC_VAR_DIR=/app/var \
    STATIC_ROOT=/app/staticfiles \
    MEDIA_ROOT=/app/var/media \
    WEB_CONCURRENCY=2

# Static files are collected (hashed names and compressed copies for whitenoise) into the image.
# The settings refuse to load without production values when DEBUG is off, so this one command
# gets placeholders that exist only for it: no secret is baked into the image.
RUN DEBUG=0 \
    SECRET_KEY=collectstatic-at-build-time-only-this-is-not-a-secret-and-is-never-used \
    ALLOWED_HOSTS=localhost \
    CIVIC_ALLOW_FILE_EMAIL=1 \
    python manage.py collectstatic --noinput \
    && python -m compileall -q . \
    && mkdir -p /app/var/media \
    && chown -R civic:civic /app/var

# The code is root's and read-only to the app; only /app/var (mail files, media) is writable.
USER civic

EXPOSE 8000

# gunicorn reads the number of workers from WEB_CONCURRENCY; extra flags go in GUNICORN_CMD_ARGS.
# /dev/shm keeps worker heartbeats off the container's overlay file system.
CMD ["gunicorn", "civic.wsgi:application", \
     "--bind", "0.0.0.0:8000", \
     "--worker-tmp-dir", "/dev/shm", \
     "--timeout", "30", \
     "--graceful-timeout", "30", \
     "--access-logfile", "-"]
