"""coverage report and wall board: a partial index of overridden answers, and a team's picks by day

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 06:55:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OVERRIDDEN = "auto_answer IS NOT NULL AND answer IS NOT NULL AND answer != auto_answer"


def upgrade() -> None:
    with op.batch_alter_table("evaluation_answer", schema=None) as batch_op:
        batch_op.create_index(
            "ix_evaluation_answer_overridden",
            ["evaluation_id"],
            unique=False,
            sqlite_where=sa.text(OVERRIDDEN),
            postgresql_where=sa.text(OVERRIDDEN),
        )
    with op.batch_alter_table("review_assignment", schema=None) as batch_op:
        batch_op.create_index("ix_review_assignment_team_day", ["team_id", "day"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("review_assignment", schema=None) as batch_op:
        batch_op.drop_index("ix_review_assignment_team_day")
    with op.batch_alter_table("evaluation_answer", schema=None) as batch_op:
        batch_op.drop_index("ix_evaluation_answer_overridden")
