"""drafts follow their call's re-scored checks: how the re-scoring reached each answer of a
draft (evaluation_answer.auto_change: the answer followed the new check, or the reviewer's
own answer was kept while the check under it changed)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable without a default: SQLite adds the column in place, without copying the table.
    with op.batch_alter_table("evaluation_answer") as batch:
        batch.add_column(sa.Column("auto_change", sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("evaluation_answer") as batch:
        batch.drop_column("auto_change")
