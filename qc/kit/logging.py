"""Logging: structlog in front of the standard library, readable or JSON lines."""

from __future__ import annotations

import logging
import sys

import structlog
from structlog.processors import ExceptionRenderer
from structlog.tracebacks import ExceptionDictTransformer

from qc.config import Settings


def configure_logging(settings: Settings) -> None:
    # Plain tracebacks: rich's would print every frame's local variables, passwords and
    # bearer tokens included.
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer()
        if settings.log_json
        else structlog.dev.ConsoleRenderer(colors=False, exception_formatter=structlog.dev.plain_traceback)
    )
    tracebacks: list[structlog.types.Processor] = (
        [ExceptionRenderer(ExceptionDictTransformer(show_locals=False))] if settings.log_json else []
    )
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *tracebacks, renderer],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level.upper())
    # Third-party chatter that would otherwise drown the useful lines.
    for noisy in ("faster_whisper", "huey.consumer.Scheduler", "botocore", "urllib3", "multipart"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
