"""Import every domain's models so `Base.metadata` knows all tables (Alembic, tests)."""

from qc.calls.models import Call
from qc.db import Base
from qc.evaluations.models import (
    CalibrationCall,
    CalibrationParticipant,
    CalibrationSession,
    Evaluation,
    EvaluationAnswer,
    EvaluationComment,
    EvaluationEdit,
)
from qc.reviews.models import Assignment, QueueDay, RepDay, ReviewerProfile, ReviewPolicy
from qc.scoring.models import CallScore, CheckResult, ScorecardVersion
from qc.transcription.models import Transcript, TranscriptSegment
from qc.users.models import ApiToken, LoginFailure, Team, User, UserSession

__all__ = [
    "ApiToken",
    "Assignment",
    "Base",
    "CalibrationCall",
    "CalibrationParticipant",
    "CalibrationSession",
    "Call",
    "CallScore",
    "CheckResult",
    "Evaluation",
    "EvaluationAnswer",
    "EvaluationComment",
    "EvaluationEdit",
    "LoginFailure",
    "QueueDay",
    "RepDay",
    "ReviewPolicy",
    "ReviewerProfile",
    "ScorecardVersion",
    "Team",
    "Transcript",
    "TranscriptSegment",
    "User",
    "UserSession",
]
