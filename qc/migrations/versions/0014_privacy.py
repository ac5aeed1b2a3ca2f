"""personal data: masked transcripts and recordings, original access with its audit log, retention

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 09:00:00.000000

Transcripts stored before this revision have `redacted_at` NULL: nobody reads them until
`qc privacy redact --all` (or the worker's backlog task) has masked them. The quotes the
automatic checks took from them are blanked here; masking quotes them again from the
masked words.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("call", schema=None) as batch_op:
        batch_op.add_column(sa.Column("redacted_storage_key", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("original_deleted_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("redacted_deleted_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("transcript", schema=None) as batch_op:
        batch_op.add_column(sa.Column("redacted_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "original_transcript",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("segments", sa.JSON(), nullable=False),
        sa.Column("findings", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["call_id"], ["call.id"], name=op.f("fk_original_transcript_call_id_call"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_original_transcript")),
        sa.UniqueConstraint("call_id", name=op.f("uq_original_transcript_call_id")),
    )
    op.create_table(
        "original_access_grant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("role", sa.String(length=20), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("granted_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "(user_id IS NULL) != (role IS NULL)", name=op.f("ck_original_access_grant_one_grantee")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_original_access_grant_user_id_user"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["granted_by_id"],
            ["user.id"],
            name=op.f("fk_original_access_grant_granted_by_id_user"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["revoked_by_id"],
            ["user.id"],
            name=op.f("fk_original_access_grant_revoked_by_id_user"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_original_access_grant")),
    )
    op.create_index("ix_original_access_grant_user", "original_access_grant", ["user_id"], unique=False)
    op.create_table(
        "privacy_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=320), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=True),
        sa.Column("grant_id", sa.Integer(), nullable=True),
        sa.Column("subject", sa.String(length=320), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("client_address", sa.String(length=64), nullable=True),
        sa.Column("token_hash", sa.String(length=64), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["user.id"], name=op.f("fk_privacy_audit_actor_id_user"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_audit")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_privacy_audit_token_hash")),
    )
    op.create_index("ix_privacy_audit_at", "privacy_audit", ["at"], unique=False)
    op.create_index("ix_privacy_audit_actor_at", "privacy_audit", ["actor_id", "at"], unique=False)
    op.create_index("ix_privacy_audit_call", "privacy_audit", ["call_id"], unique=False)
    op.create_table(
        "retention_policy",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("original_audio_days", sa.Integer(), nullable=False),
        sa.Column("redacted_days", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["user.id"],
            name=op.f("fk_retention_policy_updated_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_policy")),
    )
    op.create_table(
        "retention_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("trigger", sa.String(length=20), nullable=False),
        sa.Column("original_audio_days", sa.Integer(), nullable=False),
        sa.Column("redacted_days", sa.Integer(), nullable=False),
        sa.Column("originals_deleted", sa.Integer(), nullable=False),
        sa.Column("redacted_deleted", sa.Integer(), nullable=False),
        sa.Column("held_dispute", sa.Integer(), nullable=False),
        sa.Column("held_calibration", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("errors", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_run")),
    )
    op.create_index("ix_retention_run_started", "retention_run", ["started_at"], unique=False)
    _blank_quotes()


def _blank_quotes() -> None:
    """Evidence quoted from transcripts that were never masked: blank until masking quotes again."""
    check = sa.table("check_result", sa.column("id", sa.Integer()), sa.column("evidence", sa.JSON()))
    bind = op.get_bind()
    last = 0
    while True:
        rows = bind.execute(
            sa.select(check.c.id, check.c.evidence).where(check.c.id > last).order_by(check.c.id).limit(1000)
        ).all()
        if not rows:
            return
        for row_id, evidence in rows:
            if evidence and any(e.get("text") for e in evidence):
                blank = [{**e, "text": ""} for e in evidence]
                bind.execute(sa.update(check).where(check.c.id == row_id).values(evidence=blank))
        last = rows[-1][0]


def downgrade() -> None:
    op.drop_index("ix_retention_run_started", table_name="retention_run")
    op.drop_table("retention_run")
    op.drop_table("retention_policy")
    op.drop_index("ix_privacy_audit_call", table_name="privacy_audit")
    op.drop_index("ix_privacy_audit_actor_at", table_name="privacy_audit")
    op.drop_index("ix_privacy_audit_at", table_name="privacy_audit")
    op.drop_table("privacy_audit")
    op.drop_index("ix_original_access_grant_user", table_name="original_access_grant")
    op.drop_table("original_access_grant")
    op.drop_table("original_transcript")
    with op.batch_alter_table("transcript", schema=None) as batch_op:
        batch_op.drop_column("redacted_at")
    with op.batch_alter_table("call", schema=None) as batch_op:
        batch_op.drop_column("redacted_deleted_at")
        batch_op.drop_column("original_deleted_at")
        batch_op.drop_column("redacted_storage_key")
