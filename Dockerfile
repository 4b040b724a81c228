# Keel: one image for web (gunicorn), worker and beat (Celery).
#
# BASE is any Debian bookworm image: the public python:3.11-slim-bookworm by default, or a plain
# Debian root file system (Python then comes from Debian's python3). Either way Keel runs
# from the virtual environment /opt/keel.
#
# Package-index settings for the build (a mirror, a proxy's certificate) can be handed in
# as build secrets, which no layer keeps:
#   apt.sources  apt sources (deb822), used instead of the base's own
#   apt.conf     extra apt configuration (Acquire:: settings)
#   pip.conf     a pip configuration file
#   ca.crt       a CA bundle for pip and apt over HTTPS
#   e.g. podman build --secret id=pip.conf,src=/path/to/pip.conf ...
# Without them the build uses the base's apt sources and PyPI.
ARG BASE=python:3.11-slim-bookworm
FROM ${BASE}

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/keel \
    PATH=/opt/keel/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# What Keel loads at run time besides its wheels: WeasyPrint's Pango and HarfBuzz (through
# cffi) with the fonts the postmortem PDF is set in; CA certificates for outbound HTTPS
# (Prometheus, chat and paging webhooks); Python and venv from Debian when the base has
# no Python that makes a virtual environment.
COPY deploy/image/apt-install /usr/local/lib/keel-build/apt-install
RUN --mount=type=secret,id=apt.sources,required=false \
    --mount=type=secret,id=apt.conf,required=false \
    --mount=type=secret,id=ca.crt,required=false \
    sh /usr/local/lib/keel-build/apt-install \
        ca-certificates \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 \
        fonts-dejavu-core \
    && if ! python3 -m venv /opt/keel 2>/dev/null; then \
        rm -rf /opt/keel \
        && sh /usr/local/lib/keel-build/apt-install python3 python3-venv \
        && python3 -m venv /opt/keel; \
    fi \
    && rm -rf /usr/local/lib/keel-build

RUN useradd --system --uid 10001 --user-group --no-create-home --home-dir /app keel

WORKDIR /app

# Dependencies first, in their own layer: rebuilt only when pyproject.toml changes.
COPY pyproject.toml README.md ./
RUN --mount=type=secret,id=pip.conf,required=false \
    --mount=type=secret,id=ca.crt,required=false \
    if [ -f /run/secrets/pip.conf ]; then export PIP_CONFIG_FILE=/run/secrets/pip.conf; fi \
    && if [ -f /run/secrets/ca.crt ]; then export PIP_CERT=/run/secrets/ca.crt; fi \
    && pip install .

COPY . .
RUN --mount=type=secret,id=pip.conf,required=false \
    --mount=type=secret,id=ca.crt,required=false \
    if [ -f /run/secrets/pip.conf ]; then export PIP_CONFIG_FILE=/run/secrets/pip.conf; fi \
    && if [ -f /run/secrets/ca.crt ]; then export PIP_CERT=/run/secrets/ca.crt; fi \
    && pip install --no-deps --force-reinstall . \
    && DJANGO_DEBUG=0 DJANGO_SECRET_KEY=collectstatic-only-not-a-secret \
       DATABASE_URL=sqlite://:memory: REDIS_URL= \
       python manage.py collectstatic --noinput \
    && python -m compileall -q core accounts catalog incidents slos oncall postmortems assistants config demo

USER keel
EXPOSE 8000

CMD ["gunicorn", "config.wsgi", "-w", "4", "-b", "0.0.0.0:8000", "--access-logfile", "-"]
