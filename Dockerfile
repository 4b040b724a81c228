# Keel: one image for web (gunicorn), worker and beat (Celery).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN useradd --system --uid 10001 --user-group --no-create-home --home-dir /app keel

WORKDIR /app

# Dependencies first, in their own layer: rebuilt only when pyproject.toml changes.
COPY pyproject.toml README.md ./
RUN pip install .

COPY . .
RUN pip install --no-deps --force-reinstall . \
    && DJANGO_DEBUG=0 DJANGO_SECRET_KEY=collectstatic-only-not-a-secret \
       DATABASE_URL=sqlite://:memory: REDIS_URL= \
       python manage.py collectstatic --noinput \
    && python -m compileall -q config accounts incidents slos oncall assistants

USER keel
EXPOSE 8000

CMD ["gunicorn", "config.wsgi", "-w", "4", "-b", "0.0.0.0:8000", "--access-logfile", "-"]
