"""review queue, evaluations and calibration

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 05:17:04.182944
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "queue_day",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("policy", sa.JSON(), nullable=False),
        sa.Column(
            "mode", sa.Enum("spread", "now", name="queuemode", native_enum=False, length=32), nullable=False
        ),
        sa.Column("is_closed", sa.Boolean(), nullable=False),
        sa.Column("builds", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["team_id"], ["team.id"], name=op.f("fk_queue_day_team_id_team"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_queue_day")),
        sa.UniqueConstraint("team_id", "day", name=op.f("uq_queue_day_team_id_day")),
    )
    op.create_table(
        "review_policy",
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("target_per_rep", sa.Integer(), nullable=False),
        sa.Column("working_days", sa.String(length=20), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("day_start_minute", sa.Integer(), nullable=False),
        sa.Column("day_end_minute", sa.Integer(), nullable=False),
        sa.Column("min_duration_s", sa.Double(), nullable=False),
        sa.Column("risk_share", sa.Double(), nullable=False),
        sa.Column("low_score", sa.Double(), nullable=False),
        sa.Column("exclude_own_team", sa.Boolean(), nullable=False),
        sa.Column("blind", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"], ["team.id"], name=op.f("fk_review_policy_team_id_team"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("team_id", name=op.f("pk_review_policy")),
    )
    op.create_table(
        "calibration_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("is_closed", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user.id"],
            name=op.f("fk_calibration_session_created_by_id_user"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calibration_session")),
    )
    op.create_table(
        "rep_day",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("queue_day_id", sa.Integer(), nullable=False),
        sa.Column("rep_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("target", sa.Integer(), nullable=False),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.Column("eligible", sa.Integer(), nullable=False),
        sa.Column("too_short", sa.Integer(), nullable=False),
        sa.Column("processing", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("no_scorecard", sa.Integer(), nullable=False),
        sa.Column("reviewed_elsewhere", sa.Integer(), nullable=False),
        sa.Column(
            "shortfall_reason",
            sa.Enum(
                "no_calls",
                "calls_too_short",
                "still_processing",
                "calls_failed",
                "already_reviewed",
                "day_in_progress",
                "no_reviewer_capacity",
                "no_eligible_reviewer",
                name="shortfall",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["queue_day_id"],
            ["queue_day.id"],
            name=op.f("fk_rep_day_queue_day_id_queue_day"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["rep_id"], ["user.id"], name=op.f("fk_rep_day_rep_id_user"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["team.id"], name=op.f("fk_rep_day_team_id_team"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rep_day")),
        sa.UniqueConstraint("day", "rep_id", name=op.f("uq_rep_day_day_rep_id")),
    )
    with op.batch_alter_table("rep_day", schema=None) as batch_op:
        batch_op.create_index("ix_rep_day_queue_day", ["queue_day_id"], unique=False)

    op.create_table(
        "reviewer_profile",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("daily_capacity", sa.Integer(), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("is_available", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_reviewer_profile_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_reviewer_profile")),
    )
    op.create_table(
        "calibration_call",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["call_id"], ["call.id"], name=op.f("fk_calibration_call_call_id_call"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["calibration_session.id"],
            name=op.f("fk_calibration_call_session_id_calibration_session"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("session_id", "call_id", name=op.f("pk_calibration_call")),
    )
    op.create_table(
        "calibration_participant",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["calibration_session.id"],
            name=op.f("fk_calibration_participant_session_id_calibration_session"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_calibration_participant_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("session_id", "user_id", name=op.f("pk_calibration_participant")),
    )
    op.create_table(
        "review_assignment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("rep_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("queue_date", sa.Date(), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "open", "in_review", "done", "missed", name="assignmentstatus", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column(
            "reason",
            sa.Enum("risk", "random", "fill", "manual", name="pickreason", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("reason_detail", sa.String(length=300), nullable=False),
        sa.Column("slot", sa.String(length=20), nullable=False),
        sa.Column("risk", sa.Double(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("overdue", sa.Boolean(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("picked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("assigned_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["assigned_by_id"],
            ["user.id"],
            name=op.f("fk_review_assignment_assigned_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["call_id"], ["call.id"], name=op.f("fk_review_assignment_call_id_call"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["rep_id"], ["user.id"], name=op.f("fk_review_assignment_rep_id_user"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"],
            ["user.id"],
            name=op.f("fk_review_assignment_reviewer_id_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["team.id"], name=op.f("fk_review_assignment_team_id_team"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_assignment")),
        sa.UniqueConstraint("call_id", name=op.f("uq_review_assignment_call_id")),
    )
    with op.batch_alter_table("review_assignment", schema=None) as batch_op:
        batch_op.create_index("ix_review_assignment_queue", ["queue_date", "reviewer_id"], unique=False)
        batch_op.create_index("ix_review_assignment_rep_day", ["day", "rep_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_review_assignment_team_id"), ["team_id"], unique=False)

    op.create_table(
        "evaluation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("review", "calibration", name="evaluationkind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=True),
        sa.Column("calibration_session_id", sa.Integer(), nullable=True),
        sa.Column("scorecard_version_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("draft", "submitted", name="evaluationstatus", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("score", sa.Double(), nullable=True),
        sa.Column("final_score", sa.Double(), nullable=True),
        sa.Column("critical_failed", sa.Boolean(), nullable=False),
        sa.Column("overall_comment", sa.Text(), nullable=False),
        sa.Column("active_seconds", sa.Double(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("edits", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["review_assignment.id"],
            name=op.f("fk_evaluation_assignment_id_review_assignment"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["calibration_session_id"],
            ["calibration_session.id"],
            name=op.f("fk_evaluation_calibration_session_id_calibration_session"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["call_id"], ["call.id"], name=op.f("fk_evaluation_call_id_call"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"], ["user.id"], name=op.f("fk_evaluation_reviewer_id_user"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["scorecard_version_id"],
            ["scorecard_version.id"],
            name=op.f("fk_evaluation_scorecard_version_id_scorecard_version"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation")),
        sa.UniqueConstraint("assignment_id", name=op.f("uq_evaluation_assignment_id")),
        sa.UniqueConstraint(
            "calibration_session_id",
            "call_id",
            "reviewer_id",
            name=op.f("uq_evaluation_calibration_session_id_call_id_reviewer_id"),
        ),
    )
    with op.batch_alter_table("evaluation", schema=None) as batch_op:
        batch_op.create_index("ix_evaluation_call", ["call_id"], unique=False)
        batch_op.create_index(
            "ix_evaluation_reviewer_submitted", ["reviewer_id", "submitted_at"], unique=False
        )

    op.create_table(
        "evaluation_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("evaluation_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.String(length=60), nullable=False),
        sa.Column("answer", sa.String(length=8), nullable=True),
        sa.Column(
            "auto_status",
            sa.Enum("pass", "fail", "na", "needs_review", name="status", native_enum=False, length=32),
            nullable=True,
        ),
        sa.Column("auto_answer", sa.String(length=8), nullable=True),
        sa.Column("override_reason", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["evaluation_id"],
            ["evaluation.id"],
            name=op.f("fk_evaluation_answer_evaluation_id_evaluation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_answer")),
        sa.UniqueConstraint(
            "evaluation_id", "item_id", name=op.f("uq_evaluation_answer_evaluation_id_item_id")
        ),
    )
    op.create_table(
        "evaluation_comment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("evaluation_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("at_s", sa.Double(), nullable=True),
        sa.Column("item_id", sa.String(length=60), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["user.id"], name=op.f("fk_evaluation_comment_author_id_user"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["evaluation_id"],
            ["evaluation.id"],
            name=op.f("fk_evaluation_comment_evaluation_id_evaluation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_comment")),
    )
    with op.batch_alter_table("evaluation_comment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_evaluation_comment_evaluation_id"), ["evaluation_id"], unique=False
        )

    op.create_table(
        "evaluation_edit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("evaluation_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["evaluation_id"],
            ["evaluation.id"],
            name=op.f("fk_evaluation_edit_evaluation_id_evaluation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_evaluation_edit_user_id_user"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_edit")),
    )
    with op.batch_alter_table("evaluation_edit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_evaluation_edit_evaluation_id"), ["evaluation_id"], unique=False)

    with op.batch_alter_table("call_score", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("checks_needs_review", sa.Integer(), nullable=False, server_default="0")
        )
    # Scores stored before this revision: count their checks left to a person.
    op.execute(
        "UPDATE call_score SET checks_needs_review = (SELECT count(*) FROM check_result"
        " WHERE check_result.call_score_id = call_score.id AND check_result.status = 'needs_review')"
    )
    with op.batch_alter_table("call_score", schema=None) as batch_op:
        batch_op.alter_column("checks_needs_review", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("call_score", schema=None) as batch_op:
        batch_op.drop_column("checks_needs_review")

    with op.batch_alter_table("evaluation_edit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evaluation_edit_evaluation_id"))

    op.drop_table("evaluation_edit")
    with op.batch_alter_table("evaluation_comment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evaluation_comment_evaluation_id"))

    op.drop_table("evaluation_comment")
    op.drop_table("evaluation_answer")
    with op.batch_alter_table("evaluation", schema=None) as batch_op:
        batch_op.drop_index("ix_evaluation_reviewer_submitted")
        batch_op.drop_index("ix_evaluation_call")

    op.drop_table("evaluation")
    with op.batch_alter_table("review_assignment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_assignment_team_id"))
        batch_op.drop_index("ix_review_assignment_rep_day")
        batch_op.drop_index("ix_review_assignment_queue")

    op.drop_table("review_assignment")
    op.drop_table("calibration_participant")
    op.drop_table("calibration_call")
    op.drop_table("reviewer_profile")
    with op.batch_alter_table("rep_day", schema=None) as batch_op:
        batch_op.drop_index("ix_rep_day_queue_day")

    op.drop_table("rep_day")
    op.drop_table("calibration_session")
    op.drop_table("review_policy")
    op.drop_table("queue_day")
