"""comments.triaged_at: classification and escalation hand over through the database

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import humas.store.models

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

FLAGGED = "classified_at IS NOT NULL AND (escalate OR abusive)"
UNTRIAGED = "classified_at IS NOT NULL AND triaged_at IS NULL AND (escalate OR abusive)"  # = models.UNTRIAGED
UNTRIAGED_SQLITE = "classified_at IS NOT NULL AND triaged_at IS NULL AND (escalate = 1 OR abusive = 1)"


def upgrade() -> None:
    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("triaged_at", humas.store.models.UTCDateTime(timezone=True), nullable=True))
    # comments classified before this revision had their cases opened in the same transaction
    op.execute(f"UPDATE comments SET triaged_at = classified_at WHERE {FLAGGED}")
    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.create_index("ix_comments_untriaged", ["id"], unique=False,
                              postgresql_where=sa.text(UNTRIAGED), sqlite_where=sa.text(UNTRIAGED_SQLITE))


def downgrade() -> None:
    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.drop_index("ix_comments_untriaged", postgresql_where=sa.text(UNTRIAGED),
                            sqlite_where=sa.text(UNTRIAGED_SQLITE))
        batch_op.drop_column("triaged_at")
