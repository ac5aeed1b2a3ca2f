"""Settings: defaults, secrets from files, refusal of placeholder secrets."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from qc.config import Settings


def test_embedded_defaults_live_in_the_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("QC_DATABASE_URL", "QC_QUEUE_URL", "QC_STORAGE_URL", "QC_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(data_dir=tmp_path)
    assert settings.database_dsn == f"sqlite:///{tmp_path / 'qc.sqlite3'}"
    assert settings.queue_dsn == f"sqlite:///{tmp_path / 'queue.sqlite3'}"
    assert settings.storage_dsn == f"file://{tmp_path / 'audio'}"
    assert settings.asr_model == "auto"
    assert settings.max_upload_bytes == 200 * 1024 * 1024


def test_secrets_can_come_from_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = tmp_path / "secret_key"
    secret.write_text("k" * 48 + "\n")
    dsn = tmp_path / "database_url"
    dsn.write_text("postgresql://qc:s3cret@db:5432/qc\n")
    monkeypatch.delenv("QC_SECRET_KEY", raising=False)
    monkeypatch.delenv("QC_DATABASE_URL", raising=False)
    monkeypatch.setenv("QC_SECRET_KEY_FILE", str(secret))
    monkeypatch.setenv("QC_DATABASE_URL_FILE", str(dsn))
    settings = Settings()
    assert settings.secret_key.get_secret_value() == "k" * 48
    assert settings.database_dsn == "postgresql://qc:s3cret@db:5432/qc"
    assert "s3cret" not in repr(settings), "secrets are masked when settings are printed"


@pytest.mark.parametrize("value", ["change-me", "secret", "short-but-not-a-placeholder"])
def test_placeholder_secret_is_refused_outside_development(value: str) -> None:
    with pytest.raises(ValidationError, match="QC_SECRET_KEY"):
        Settings(env="production", secret_key=value)
    assert Settings(env="development", secret_key=value).secret_key.get_secret_value() == value


def test_unset_secret_is_generated_once_and_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("QC_SECRET_KEY", raising=False)
    first = Settings(data_dir=tmp_path).session_secret()
    again = Settings(data_dir=tmp_path).session_secret()
    assert first == again
    assert len(first) >= 48
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_stage_time_limit_grows_with_the_recording() -> None:
    settings = Settings(stage_timeout_base_s=900, stage_timeout_per_audio_second=3)
    assert settings.stage_timeout_seconds(0) == 900
    assert settings.stage_timeout_seconds(600) == 900 + 1800
