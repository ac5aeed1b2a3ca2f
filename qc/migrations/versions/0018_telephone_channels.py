"""telephone channels: what the transcription found about a stereo call's channels
(transcript.channel_report: both channels the same sound, words moved from a channel that
only carried the other side's echo), which side says the agent's script
(transcript.side_check), and the team setting that lets the platform swap the sides itself
(team.swap_sides)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 23:05:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("transcript") as batch:
        batch.add_column(sa.Column("channel_report", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("side_check", sa.JSON(), nullable=True))
    # A constant default ("0", not sa.false()): SQLite then adds the column in place rather
    # than copying the table, which its foreign keys (users of the team) would refuse.
    with op.batch_alter_table("team") as batch:
        batch.add_column(sa.Column("swap_sides", sa.Boolean(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("team") as batch:
        batch.drop_column("swap_sides")
    with op.batch_alter_table("transcript") as batch:
        batch.drop_column("side_check")
        batch.drop_column("channel_report")
