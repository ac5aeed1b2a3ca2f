"""the word forms of each scored call's transcript (call_score.word_forms), so a backtest of a
draft that only adds or removes phrases runs again only the calls that could contain them

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 19:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("call_score") as batch:
        batch.add_column(sa.Column("word_forms", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("call_score") as batch:
        batch.drop_column("word_forms")
