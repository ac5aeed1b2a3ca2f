"""scorecards and automatic checks

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 13:11:03.577073
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "scorecard_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scorecard_id", sa.String(length=60), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=60), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("source_file", sa.String(length=300), nullable=False),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scorecard_version")),
        sa.UniqueConstraint(
            "scorecard_id", "content_hash", name=op.f("uq_scorecard_version_scorecard_id_content_hash")
        ),
        sa.UniqueConstraint(
            "scorecard_id", "revision", name=op.f("uq_scorecard_version_scorecard_id_revision")
        ),
    )
    with op.batch_alter_table("scorecard_version", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_scorecard_version_scorecard_id"), ["scorecard_id"], unique=False)

    op.create_table(
        "call_score",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("scorecard_version_id", sa.Integer(), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("score", sa.Double(), nullable=True),
        sa.Column("final_score", sa.Double(), nullable=True),
        sa.Column("critical_failed", sa.Boolean(), nullable=False),
        sa.Column("checks_total", sa.Integer(), nullable=False),
        sa.Column("checks_decided", sa.Integer(), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["call_id"], ["call.id"], name=op.f("fk_call_score_call_id_call"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["scorecard_version_id"],
            ["scorecard_version.id"],
            name=op.f("fk_call_score_scorecard_version_id_scorecard_version"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_score")),
        sa.UniqueConstraint("call_id", name=op.f("uq_call_score_call_id")),
    )
    with op.batch_alter_table("call_score", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_call_score_scorecard_version_id"), ["scorecard_version_id"], unique=False
        )

    op.create_table(
        "check_result",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_score_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.String(length=60), nullable=False),
        sa.Column(
            "status",
            sa.Enum("pass", "fail", "na", "needs_review", name="status", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("confidence", sa.Double(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("value", sa.Double(), nullable=True),
        sa.ForeignKeyConstraint(
            ["call_score_id"],
            ["call_score.id"],
            name=op.f("fk_check_result_call_score_id_call_score"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_check_result")),
        sa.UniqueConstraint("call_score_id", "item_id", name=op.f("uq_check_result_call_score_id_item_id")),
    )
    with op.batch_alter_table("check_result", schema=None) as batch_op:
        batch_op.create_index("ix_check_result_item_status", ["item_id", "status"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("check_result", schema=None) as batch_op:
        batch_op.drop_index("ix_check_result_item_status")

    op.drop_table("check_result")
    with op.batch_alter_table("call_score", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_call_score_scorecard_version_id"))

    op.drop_table("call_score")
    with op.batch_alter_table("scorecard_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scorecard_version_scorecard_id"))

    op.drop_table("scorecard_version")
