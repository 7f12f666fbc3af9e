FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml ./
COPY . .
RUN pip install --no-cache-dir . && pybabel compile -d workflow/translations
# Not root: the processes own only the folders they write (named volumes take these owners).
RUN useradd --system --home-dir /var/lib/tizim tizim \
    && mkdir -p /var/lib/tizim/uploads /var/lib/tizim/beat \
    && chown -R tizim:tizim /var/lib/tizim
USER tizim
ENV FLASK_APP=wsgi.py
EXPOSE 8000
CMD ["gunicorn", "--bind", "0.0.0.0:8000", "wsgi:application"]
