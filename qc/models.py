"""Import every domain's models so `Base.metadata` knows all tables (Alembic, tests)."""

from qc.board.models import DisplayLink
from qc.calls.models import Call
from qc.coaching.models import CoachingAction, CoachingEvaluation, CoachingFocus, CoachingSession
from qc.db import Base
from qc.digest.models import DigestDelivery, DigestSchedule, DigestTarget
from qc.evaluations.models import (
    CalibrationCall,
    CalibrationParticipant,
    CalibrationSession,
    Evaluation,
    EvaluationAnswer,
    EvaluationComment,
    EvaluationEdit,
)
from qc.feedback.models import Dispute, DisputeItem, Feedback, FeedbackPolicy
from qc.jobs.models import Event, EventHandled
from qc.notifications.models import Notification, WebhookDelivery, WebhookEndpoint
from qc.privacy.models import AccessGrant, AuditEntry, OriginalTranscript, RetentionPolicy, RetentionRun
from qc.reviews.models import Assignment, QueueDay, RepDay, ReviewerProfile, ReviewPolicy
from qc.scoring.models import (
    CallScore,
    CheckResult,
    ScorecardChange,
    ScorecardDraft,
    ScorecardVariable,
    ScorecardVersion,
)
from qc.training.models import TrainingAssignment, TrainingModule, TrainingModuleVersion, TrainingRule
from qc.transcription.models import Transcript, TranscriptSegment
from qc.users.models import ApiToken, LoginFailure, Team, User, UserSession

__all__ = [
    "AccessGrant",
    "ApiToken",
    "Assignment",
    "AuditEntry",
    "Base",
    "CalibrationCall",
    "CalibrationParticipant",
    "CalibrationSession",
    "Call",
    "CallScore",
    "CheckResult",
    "CoachingAction",
    "CoachingEvaluation",
    "CoachingFocus",
    "CoachingSession",
    "DigestDelivery",
    "DigestSchedule",
    "DigestTarget",
    "DisplayLink",
    "Dispute",
    "DisputeItem",
    "Evaluation",
    "EvaluationAnswer",
    "EvaluationComment",
    "EvaluationEdit",
    "Event",
    "EventHandled",
    "Feedback",
    "FeedbackPolicy",
    "LoginFailure",
    "Notification",
    "OriginalTranscript",
    "QueueDay",
    "RepDay",
    "RetentionPolicy",
    "RetentionRun",
    "ReviewPolicy",
    "ReviewerProfile",
    "ScorecardChange",
    "ScorecardDraft",
    "ScorecardVariable",
    "ScorecardVersion",
    "Team",
    "TrainingAssignment",
    "TrainingModule",
    "TrainingModuleVersion",
    "TrainingRule",
    "Transcript",
    "TranscriptSegment",
    "User",
    "UserSession",
    "WebhookDelivery",
    "WebhookEndpoint",
]
