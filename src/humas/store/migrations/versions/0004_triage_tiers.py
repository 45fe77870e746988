"""comments: triage tier, question probability and the review list's decision

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 12:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import humas.store.models

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TO_REVIEW = "tier = 'review' AND reviewed_at IS NULL"  # = models.TO_REVIEW
FLAGGED = "classified_at IS NOT NULL AND (escalate OR abusive)"


def upgrade() -> None:
    op.add_column("comments", sa.Column("tier", sa.String(length=16), nullable=True))
    op.add_column("comments", sa.Column("p_question", sa.Float(), nullable=True))
    op.add_column("comments", sa.Column("reviewed_at", humas.store.models.UTCDateTime(timezone=True), nullable=True))
    op.add_column("comments", sa.Column("review_outcome", sa.String(length=16), nullable=True))
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a column with its reference in place; a batch operation would copy the table and recreate its
        # indexes in an arbitrary order, and without statistics the planner then may scan comments instead of using
        # the partial index the escalation stage reads through
        op.execute("ALTER TABLE comments ADD COLUMN reviewed_by_id INTEGER REFERENCES users (id)")
    else:
        op.add_column("comments", sa.Column("reviewed_by_id", sa.Integer(), nullable=True))
        op.create_foreign_key("fk_comments_reviewed_by_id_users", "comments", "users", ["reviewed_by_id"], ["id"])
    # comments classified before tiers existed: flagged ones went to a case, the rest needed nothing
    op.execute(f"UPDATE comments SET tier = 'case' WHERE {FLAGGED}")
    op.execute("UPDATE comments SET tier = 'none' WHERE classified_at IS NOT NULL AND tier IS NULL")
    op.create_index("ix_comments_to_review", "comments", ["id"], unique=False,
                    postgresql_where=sa.text(TO_REVIEW), sqlite_where=sa.text(TO_REVIEW))


def downgrade() -> None:
    op.drop_index("ix_comments_to_review", table_name="comments", postgresql_where=sa.text(TO_REVIEW),
                  sqlite_where=sa.text(TO_REVIEW))
    sqlite = op.get_bind().dialect.name == "sqlite"
    with op.batch_alter_table("comments", schema=None) as batch_op:
        if not sqlite:  # SQLite's reference is unnamed: the table copy leaves it out with its column
            batch_op.drop_constraint("fk_comments_reviewed_by_id_users", type_="foreignkey")
        batch_op.drop_column("review_outcome")
        batch_op.drop_column("reviewed_by_id")
        batch_op.drop_column("reviewed_at")
        batch_op.drop_column("p_question")
        batch_op.drop_column("tier")
