"""Import every domain's models so `Base.metadata` knows all tables (Alembic, tests)."""

from qc.calls.models import Call
from qc.db import Base
from qc.scoring.models import CallScore, CheckResult, ScorecardVersion
from qc.transcription.models import Transcript, TranscriptSegment
from qc.users.models import ApiToken, LoginFailure, Team, User, UserSession

__all__ = [
    "ApiToken",
    "Base",
    "Call",
    "CallScore",
    "CheckResult",
    "LoginFailure",
    "ScorecardVersion",
    "Team",
    "Transcript",
    "TranscriptSegment",
    "User",
    "UserSession",
]
