import pytest

import config
from workflow import create_app


def test_production_refuses_to_start_without_secret_key(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://x/y")
    monkeypatch.setenv("REDIS_URL", "redis://localhost/0")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(config.ConfigError, match="SECRET_KEY"):
        create_app("production")


def test_production_names_every_missing_variable(monkeypatch):
    for name in ("SECRET_KEY", "DATABASE_URL", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(config.ConfigError) as error:
        config.load("production")
    assert all(n in str(error.value) for n in ("SECRET_KEY", "DATABASE_URL", "REDIS_URL"))


def test_production_refuses_a_short_secret(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://x/y")
    monkeypatch.setenv("REDIS_URL", "redis://localhost/0")
    monkeypatch.setenv("SECRET_KEY", "short")
    with pytest.raises(config.ConfigError, match="32 characters"):
        config.load("production")


def test_production_reads_everything_from_the_environment(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://db.example/tizim")
    monkeypatch.setenv("REDIS_URL", "redis://cache.example/1")
    monkeypatch.setenv("SECRET_KEY", "5f0c9a4e8d2b7f13e6a0c4d9b8f2e7a1c3d5b9e0f4a8c2d6")
    monkeypatch.setenv("MAIL_SERVER", "smtp.example")
    app = create_app("production")
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://db.example/tizim"
    assert app.config["CELERY"]["broker_url"] == "redis://cache.example/1"
    assert app.config["CELERY"]["task_always_eager"] is False
    assert app.config["MAIL_SERVER"] == "smtp.example"
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_development_needs_no_services(monkeypatch):
    for name in ("DATABASE_URL", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    app = create_app("development")
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
    assert app.config["CELERY"]["task_always_eager"] is True


def test_unknown_config_name():
    with pytest.raises(config.ConfigError, match="staging"):
        config.load("staging")


def test_env_example_documents_every_variable():
    import re
    from pathlib import Path

    root = Path(config.__file__).parent
    documented = set(re.findall(r"^([A-Z_]+)=", (root / ".env.example").read_text(), re.M))
    read = set(re.findall(r'env(?:_int|_bool)?\("([A-Z_]+)"', (root / "config.py").read_text()))
    assert read - documented == set()
