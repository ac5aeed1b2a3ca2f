"""Settings: the one place that reads the environment.

Every `qc` command and the web app read the same `Settings`. Values come from
`QC_*` environment variables (or a `.env` file); secrets may also come from a
file named by `QC_<NAME>_FILE`, which is how container orchestrators hand them out.
"""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Secrets that may be read from a file named by QC_<NAME>_FILE.
_SECRET_FIELDS = ("secret_key", "database_url", "queue_url", "rate_limit_url", "s3_secret_access_key")
_PLACEHOLDER_SECRETS = {"", "change-me", "changeme", "secret", "dev", "development", "please-change"}
_MIN_SECRET_LENGTH = 32


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="QC_", env_file=".env", extra="ignore", populate_by_name=True
    )

    env: Literal["development", "production", "test"] = "production"
    data_dir: Path = Path("var")
    web_dir: Path = Path(__file__).resolve().parent.parent / "web"
    scorecards_dir: Path = Path(__file__).resolve().parent.parent / "scorecards"

    # Where things live. Empty means "embedded default inside data_dir".
    database_url: SecretStr = SecretStr("")
    queue_url: SecretStr = SecretStr("")
    storage_url: str = ""
    s3_endpoint_url: str | None = None
    s3_region: str = "us-east-1"
    s3_access_key_id: str | None = None
    s3_secret_access_key: SecretStr | None = None

    # Web.
    secret_key: SecretStr = SecretStr("")
    session_days: int = Field(default=14, ge=1)
    cookie_secure: bool = False
    public_url: str = "http://127.0.0.1:8000"  # how people reach the app: links printed by `qc`
    embedded_worker: bool = True
    # Web processes `qc serve` starts: Python runs one request at a time per process, so a
    # second process lets the pages use a second core. Counters shared between them (the
    # sign-in throttle) live in the database, or in Redis with QC_RATE_LIMIT_URL.
    web_processes: int = Field(default=2, ge=1, le=64)
    # How `qc serve` runs the embedded worker's pipeline lane (transcription, scoring):
    # "process", a child process it supervises at a lower CPU priority (pipeline_nice), so
    # pages stay quick while calls transcribe; or "thread", inside the web process.
    pipeline_in: Literal["process", "thread"] = "process"
    pipeline_nice: int = Field(default=10, ge=0, le=19)
    log_level: str = "INFO"
    log_json: bool = False
    # Addresses (or networks) of the reverse proxies whose X-Forwarded-For names the client;
    # "" trusts none, "*" any (only when nothing else can reach the app).
    trusted_proxies: str = "127.0.0.1,::1"
    # Failed sign-ins allowed per client address (limits' syntax), then 429 until they age out.
    login_address_limits: str = "10/minute;50/hour"
    # Where those counts live: the database unless a Redis URL is set here, which scaled-out
    # replicas need so that they share the counts without a write to the database each.
    rate_limit_url: SecretStr = SecretStr("")
    # Sites (CSP sources, e.g. https://signage.example.com; several separated by spaces or
    # commas) that may frame the wall board; "" lets none, as for every other page.
    wall_frame_ancestors: str = ""

    # How long a web request waits for a lock another transaction holds (SQLite's write lock,
    # PostgreSQL's lock_timeout) before answering 503 with Retry-After; reads never wait on
    # SQLite. The worker and `qc` commands wait `db_job_lock_wait_s` on SQLite.
    db_lock_wait_s: float = Field(default=5, gt=0, le=300)
    db_job_lock_wait_s: float = Field(default=15, gt=0, le=3600)

    # Worker and pipeline.
    workers: int = Field(default=1, ge=1, le=64)  # pipeline lane threads (transcription)
    quick_workers: int = Field(default=1, ge=1, le=16)  # quick lane threads (events, refreshes)
    event_retention_days: int = Field(default=90, ge=1)  # dispatched events kept this long
    # A worker renews its call's lease every third of this while it works, so a worker that
    # dies gives the call back within a lease, and the reaper (every few seconds) passes it on.
    lease_seconds: int = Field(default=30, ge=2)
    reaper_every_seconds: int = Field(default=10, ge=1, le=600)
    requeue_after_seconds: int = Field(default=60, ge=10)
    max_attempts: int = Field(default=3, ge=1)
    stage_timeout_base_s: float = Field(default=900, ge=1)
    stage_timeout_per_audio_second: float = Field(default=3.0, ge=0)

    # Speech recognition.
    # A pipeline worker loads the speech models and language tools its calls need before it
    # takes the first one (qc.wiring.warm_up); off only where nothing is transcribed (tests).
    warm_up: bool = True
    asr_model: str = "auto"
    # Per language, a model name or CTranslate2 folder that replaces asr_model for calls in
    # that language: QC_ASR_MODELS='{"ru": "/models/faster-whisper-small"}'.
    asr_models: dict[str, str] = Field(default_factory=dict)
    asr_device: Literal["auto", "cpu", "cuda"] = "auto"
    asr_compute_type: str = "auto"
    asr_cpu_threads: int = Field(default=0, ge=0)
    asr_beam_size: int = Field(default=5, ge=1)
    # None: batched clips of both channels on a GPU (8 at a time), channels one after the
    # other on a CPU; 0 forces the latter, >0 the former with that batch size.
    asr_batch_size: int | None = Field(default=None, ge=0)
    # Where the scorecard's hotwords are given to the model (qc.transcription.engine.HotwordsRule).
    asr_hotwords: Literal["off", "all", "agent", "opening", "recheck"] = "recheck"
    # Seconds the rule covers: `opening` the call's first 60, `recheck` the agent's first 10
    # of speech (None: the rule's default).
    asr_hotwords_window_s: float | None = Field(default=None, gt=0)
    language: str | None = None

    # Daily review queue: defaults for teams and reviewers without their own settings.
    timezone: str = "UTC"
    review_target: int = Field(default=2, ge=0, le=50)
    review_min_call_s: float = Field(default=30, ge=0)
    reviewer_capacity: int = Field(default=20, ge=0, le=1000)
    queue_refresh_minutes: int = Field(default=5, ge=1, le=60)

    # Feedback: defaults for teams without their own rules (Feedback > Settings).
    release_delay_hours: float = Field(default=0, ge=0, le=24 * 14)
    acknowledge_within_days: int = Field(default=3, ge=1, le=60)
    dispute_window_days: int = Field(default=7, ge=1, le=90)
    dispute_max_items: int = Field(default=5, ge=1, le=50)
    dispute_resolver: Literal["qc_lead", "reviewer"] = "qc_lead"
    dispute_due_working_days: int = Field(default=2, ge=1, le=30)

    # Coaching: planning a session and measuring its effect.
    coaching_recent_reviews: int = Field(default=20, ge=3, le=200)  # reviewed calls counted when planning
    coaching_effect_days: int = Field(default=30, ge=3, le=180)  # N: days before and after a session
    coaching_effect_min_calls: int = Field(default=5, ge=1, le=100)  # K: reviewed calls after it

    # Privacy: the retention policy's defaults until an administrator sets it (Privacy >
    # Retention), in days after a call was received; 0 keeps for ever.
    retention_original_audio_days: int = Field(default=90, ge=0, le=36500)
    retention_redacted_days: int = Field(default=365, ge=0, le=36500)
    # How long a granted opening of an original (transcript or recording) may be streamed.
    original_access_minutes: int = Field(default=15, ge=1, le=24 * 60)

    # Upload limits.
    max_upload_mb: int = Field(default=200, ge=1)
    max_call_duration_s: int = Field(default=4 * 3600, ge=1)
    silence_threshold_dbfs: float = -55.0
    # Wall time allowed for decoding an upload whole before accepting it.
    audio_check_timeout_s: float = Field(default=300, gt=0, le=3000)
    # Temporary files untouched this long, and not in use, are swept (start-up and hourly).
    stale_temp_after_s: int = Field(default=3600, ge=60)

    @model_validator(mode="before")
    @classmethod
    def _read_secret_files(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        for name in _SECRET_FIELDS:
            path = os.environ.get(f"QC_{name.upper()}_FILE")
            if path and not data.get(name):
                data[name] = Path(path).read_text(encoding="utf-8").strip()
        return data

    @field_validator("language")
    @classmethod
    def _blank_language_is_none(cls, value: str | None) -> str | None:
        return value.strip().lower() or None if value else None

    @field_validator("login_address_limits")
    @classmethod
    def _parsable_limits(cls, value: str) -> str:
        from limits import parse_many

        try:
            parse_many(value)
        except ValueError as exc:
            raise ValueError(f"{value!r} is not a list of limits like '10/minute;50/hour'") from exc
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}; use an IANA name like Europe/Bucharest") from exc
        return value

    @model_validator(mode="after")
    def _refuse_placeholder_secret(self) -> Settings:
        key = self.secret_key.get_secret_value()
        weak = key.lower() in _PLACEHOLDER_SECRETS or len(key) < _MIN_SECRET_LENGTH
        if key and weak and self.env != "development":
            raise ValueError(
                "QC_SECRET_KEY is a placeholder or shorter than 32 characters; "
                "set a long random value or leave it unset to generate one in the data dir"
            )
        return self

    # Derived values -------------------------------------------------------

    def stage_timeout_seconds(self, audio_duration_s: float) -> float:
        """How long one pipeline stage may run on a call before it counts as hung."""
        return self.stage_timeout_base_s + self.stage_timeout_per_audio_second * audio_duration_s

    @property
    def database_dsn(self) -> str:
        url = self.database_url.get_secret_value()
        return url or f"sqlite:///{self.data_dir.resolve() / 'qc.sqlite3'}"

    @property
    def queue_dsn(self) -> str:
        url = self.queue_url.get_secret_value()
        return url or f"sqlite:///{self.data_dir.resolve() / 'queue.sqlite3'}"

    @property
    def trusted_proxy_list(self) -> list[str]:
        return [host.strip() for host in self.trusted_proxies.split(",") if host.strip()]

    @property
    def wall_frame_ancestor_list(self) -> list[str]:
        return self.wall_frame_ancestors.replace(",", " ").split()

    @property
    def storage_dsn(self) -> str:
        return self.storage_url or f"file://{self.data_dir.resolve() / 'audio'}"

    @property
    def max_upload_bytes(self) -> int:
        return self.max_upload_mb * 1024 * 1024

    @property
    def tmp_dir(self) -> Path:
        return self.data_dir / "tmp"

    @property
    def model_cache_dir(self) -> Path:
        return self.data_dir / "models"

    def session_secret(self) -> str:
        """The signing secret: configured, or generated once and kept in the data dir."""
        configured = self.secret_key.get_secret_value()
        if configured:
            return configured
        path = self.data_dir / "secret_key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            draft = path.with_name(f".secret_key.{os.getpid()}")
            fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(48))
            try:
                os.link(draft, path)  # atomic: the first process to link wins
            except FileExistsError:
                pass
            finally:
                draft.unlink()
        return path.read_text().strip()

    def ensure_dirs(self) -> None:
        for path in (self.data_dir, self.tmp_dir, self.model_cache_dir):
            path.mkdir(parents=True, exist_ok=True)


@lru_cache
def get_settings() -> Settings:
    return Settings()
