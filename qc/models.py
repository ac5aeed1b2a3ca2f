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
from qc.reviews.models import Assignment, QueueDay, RepDay, ReviewerProfile, ReviewPolicy
from qc.scoring.models import CallScore, CheckResult, ScorecardVersion
from qc.training.models import TrainingAssignment, TrainingModule, TrainingModuleVersion, TrainingRule
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
    "QueueDay",
    "RepDay",
    "ReviewPolicy",
    "ReviewerProfile",
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
