"""blind review is a team's fact (team.blind_review, read when a person signs in); a QC lead
can lock a reviewer's own settings (reviewer_profile.locked_by_id, locked_at)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 09:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("team", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("blind_review", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    op.execute(
        "UPDATE team SET blind_review = TRUE WHERE id IN (SELECT team_id FROM review_policy WHERE blind)"
    )
    with op.batch_alter_table("review_policy", schema=None) as batch_op:
        batch_op.drop_column("blind")
    with op.batch_alter_table("reviewer_profile", schema=None) as batch_op:
        batch_op.add_column(sa.Column("locked_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("locked_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_reviewer_profile_locked_by_id_user"),
            "user",
            ["locked_by_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("reviewer_profile", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_reviewer_profile_locked_by_id_user"), type_="foreignkey")
        batch_op.drop_column("locked_at")
        batch_op.drop_column("locked_by_id")
    with op.batch_alter_table("review_policy", schema=None) as batch_op:
        batch_op.add_column(sa.Column("blind", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.execute(
        "UPDATE review_policy SET blind = TRUE WHERE team_id IN (SELECT id FROM team WHERE blind_review)"
    )
    with op.batch_alter_table("team", schema=None) as batch_op:
        batch_op.drop_column("blind_review")
