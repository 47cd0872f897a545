import pytest

import config


def test_production_refuses_to_start_without_a_secret_key(monkeypatch, tmp_path):
    monkeypatch.delenv("FUNDCRM_SECRET_KEY", raising=False)
    monkeypatch.setenv("FUNDCRM_INSTANCE_PATH", str(tmp_path))
    with pytest.raises(RuntimeError, match="FUNDCRM_SECRET_KEY"):
        config.load("production")


def test_development_key_is_generated_once_in_the_instance_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("FUNDCRM_SECRET_KEY", raising=False)
    monkeypatch.setenv("FUNDCRM_INSTANCE_PATH", str(tmp_path))
    first, second = config.load("development"), config.load("development")
    assert first.SECRET_KEY == second.SECRET_KEY == (tmp_path / "secret_key").read_text()
    assert len(first.SECRET_KEY) == 64


def test_database_defaults_to_sqlite_in_the_instance_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("FUNDCRM_DATABASE_URL", raising=False)
    monkeypatch.setenv("FUNDCRM_INSTANCE_PATH", str(tmp_path))
    assert config.load().DATABASE_URL == f"sqlite:///{tmp_path / 'fundcrm.db'}"


def test_environment_overrides(monkeypatch, tmp_path):
    monkeypatch.setenv("FUNDCRM_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("FUNDCRM_DATABASE_URL", "postgresql+psycopg://u@db/fund")
    monkeypatch.setenv("FUNDCRM_SECRET_KEY", "k" * 40)
    monkeypatch.setenv("FUNDCRM_SECURE_COOKIES", "true")
    settings = config.load("production")
    assert settings.DATABASE_URL.endswith("/fund") and settings.SESSION_COOKIE_SECURE


def test_unknown_environment_name_is_refused():
    with pytest.raises(RuntimeError, match="FUNDCRM_ENV"):
        config.load("staging")


def test_sqlite_runs_in_wal_mode(app):
    engine = app.extensions["fundcrm.engine"]
    if engine.dialect.name != "sqlite":
        pytest.skip("WAL applies to SQLite only")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_an_unknown_time_zone_is_refused_at_start(monkeypatch, tmp_path):
    monkeypatch.setenv("FUNDCRM_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("FUNDCRM_TIMEZONE", "Asia/Chongqing-Liangjiang")
    with pytest.raises(RuntimeError, match="FUNDCRM_TIMEZONE"):
        config.load("development")
