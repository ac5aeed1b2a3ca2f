"""scorecards edited in the browser: where each revision came from (origin, who published it,
why), one draft per scorecard, the scorecard audit log (scorecard_change) and the
organisation's scorecard variables ({company})

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 16:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("scorecard_version") as batch:
        batch.add_column(sa.Column("origin", sa.String(length=32), nullable=False, server_default="file"))
        batch.add_column(sa.Column("published_by_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("published_by", sa.String(length=320), nullable=True))
        batch.add_column(sa.Column("change_note", sa.String(length=500), nullable=True))
    with op.batch_alter_table("scorecard_version") as batch:
        batch.alter_column("origin", server_default=None)
    op.create_table(
        "scorecard_draft",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scorecard_id", sa.String(length=60), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("base_revision", sa.Integer(), nullable=True),
        sa.Column("lock", sa.Integer(), nullable=False),
        sa.Column("saved_by_id", sa.Integer(), nullable=True),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["saved_by_id"],
            ["user.id"],
            name=op.f("fk_scorecard_draft_saved_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scorecard_draft")),
        sa.UniqueConstraint("scorecard_id", name=op.f("uq_scorecard_draft_scorecard_id")),
    )
    op.create_table(
        "scorecard_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("scorecard_id", sa.String(length=60), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=320), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["user.id"], name=op.f("fk_scorecard_change_actor_id_user"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scorecard_change")),
    )
    op.create_index("ix_scorecard_change_card_at", "scorecard_change", ["scorecard_id", "at"])
    op.create_table(
        "scorecard_variable",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("names", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scorecard_variable")),
        sa.UniqueConstraint("name", "language", name=op.f("uq_scorecard_variable_name_language")),
    )


def downgrade() -> None:
    op.drop_table("scorecard_variable")
    op.drop_table("scorecard_change")
    op.drop_table("scorecard_draft")
    with op.batch_alter_table("scorecard_version") as batch:
        batch.drop_column("change_note")
        batch.drop_column("published_by")
        batch.drop_column("published_by_id")
        batch.drop_column("origin")
