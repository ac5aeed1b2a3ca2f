"""failed sign-ins per client address in the database (login_address_failure), so that every
web process of `qc serve` counts them together

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 12:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "login_address_failure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_address_failure")),
    )
    op.create_index(
        "ix_login_address_failure_address_created", "login_address_failure", ["address", "created_at"]
    )
    op.create_index(op.f("ix_login_address_failure_created_at"), "login_address_failure", ["created_at"])


def downgrade() -> None:
    op.drop_table("login_address_failure")
