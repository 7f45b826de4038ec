FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production

WORKDIR /app

# Dependencies first, so that a code change does not reinstall them: the pinned, hashed
# lock (bin/lock compiles it from pyproject.toml).
COPY requirements/base.txt requirements/base.txt
RUN pip install -r requirements/base.txt

COPY . .
RUN SECRET_KEY=collectstatic-only python manage.py collectstatic --no-input -v 0 \
    && useradd --system --home /app app \
    && mkdir -p /app/var/media \
    && chown -R app /app/var

USER app
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
