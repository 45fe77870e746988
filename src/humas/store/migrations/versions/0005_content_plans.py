"""monthly content plans: plans and their items

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 07:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import humas.store.models

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "content_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sop_id", sa.String(length=64), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("step_id", sa.String(length=64), nullable=True),
        sa.Column("meeting_at", humas.store.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("meeting_place", sa.String(length=300), nullable=False),
        sa.Column("list_version", sa.Integer(), nullable=False),
        sa.Column("list_hash", sa.String(length=64), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", humas.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", humas.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("approved_at", humas.store.models.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_content_plans_created_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_plans")),
        sa.UniqueConstraint("sop_id", "month", name=op.f("uq_content_plans_sop_id")),
    )
    op.create_table(
        "plan_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("activity", sa.String(length=300), nullable=False),
        sa.Column("activity_date", sa.Date(), nullable=False),
        sa.Column("unit", sa.String(length=200), nullable=False),
        sa.Column("channels", sa.JSON(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("content_id", sa.Integer(), nullable=True),
        sa.Column("created_at", humas.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", humas.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["content_id"], ["contents.id"], name=op.f("fk_plan_items_content_id_contents")),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_plan_items_owner_id_users")),
        sa.ForeignKeyConstraint(["plan_id"], ["content_plans.id"], name=op.f("fk_plan_items_plan_id_content_plans"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_items")),
        sa.UniqueConstraint("content_id", name=op.f("uq_plan_items_content_id")),
    )
    with op.batch_alter_table("plan_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plan_items_plan_id"), ["plan_id"], unique=False)
    op.create_table(
        "plan_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("step_id", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("list_hash", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("valid", sa.Boolean(), nullable=False),
        sa.Column("created_at", humas.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["plan_id"], ["content_plans.id"],
                                name=op.f("fk_plan_decisions_plan_id_content_plans"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_plan_decisions_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_decisions")),
    )
    with op.batch_alter_table("plan_decisions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plan_decisions_plan_id"), ["plan_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("plan_decisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_decisions_plan_id"))
    op.drop_table("plan_decisions")
    with op.batch_alter_table("plan_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_items_plan_id"))
    op.drop_table("plan_items")
    op.drop_table("content_plans")
