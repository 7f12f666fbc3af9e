"""docker-compose.yml: parsed, and its commands point at what exists."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def test_compose_defines_the_architecture():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"web", "worker", "beat", "postgres", "redis", "mail", "migrate"} <= set(services)
    for name in ("web", "worker", "beat", "migrate"):
        env = services[name]["environment"]
        assert env["TIZIM_CONFIG"] == "production"
        assert env["DATABASE_URL"].startswith("postgresql+psycopg://")
        assert env["REDIS_URL"].startswith("redis://redis:")
    assert services["web"]["command"][0] == "gunicorn" and "wsgi:application" in services["web"]["command"]
    assert services["worker"]["command"][:4] == ["celery", "-A", "wsgi", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "wsgi", "beat"]
    # Migrations run once before the app, not at web start.
    assert services["web"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
