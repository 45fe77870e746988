"""post_metrics: engagement figures of published posts, at most one row per post and hour (issue 15)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-10 07:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import humas.store.models

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

UTC = humas.store.models.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "post_metrics",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("hour", UTC(timezone=True), nullable=False),
        sa.Column("fetched_at", UTC(timezone=True), nullable=False),
        sa.Column("likes", sa.BigInteger(), nullable=True),
        sa.Column("comments", sa.BigInteger(), nullable=True),
        sa.Column("shares", sa.BigInteger(), nullable=True),
        sa.Column("views", sa.BigInteger(), nullable=True),
        sa.Column("reach", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["post_id"], ["posts.id"], name=op.f("fk_post_metrics_post_id_posts"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_post_metrics")),
        sa.UniqueConstraint("post_id", "hour", name=op.f("uq_post_metrics_post_id")),
    )


def downgrade() -> None:
    op.drop_table("post_metrics")
