"""oauth_flows and account_connections: connecting platform accounts through OAuth (issue 14)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-09 07:00:00.000000

Account secrets written before encryption stay readable; the application encrypts them (it holds the key, the
migration does not): ``humas init``, ``humas db upgrade`` and the daemon's start call
``DbSecretStore.seal_plaintext``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import humas.store.models

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

UTC = humas.store.models.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "oauth_flows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("state_hash", sa.String(length=64), nullable=False),
        sa.Column("account", sa.String(length=64), nullable=False),
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("via", sa.String(length=8), nullable=False),
        sa.Column("redirect_uri", sa.String(length=500), nullable=False),
        sa.Column("verifier", sa.Text(), nullable=False),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("expires_at", UTC(timezone=True), nullable=False),
        sa.Column("used_at", UTC(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_oauth_flows_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oauth_flows")),
        sa.UniqueConstraint("state_hash", name=op.f("uq_oauth_flows_state_hash")),
    )
    with op.batch_alter_table("oauth_flows", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_oauth_flows_account"), ["account"], unique=False)
    op.create_table(
        "account_connections",
        sa.Column("account", sa.String(length=64), nullable=False),
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("identity", sa.String(length=300), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("missing_scopes", sa.JSON(), nullable=False),
        sa.Column("connected_at", UTC(timezone=True), nullable=False),
        sa.Column("connected_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("account", name=op.f("pk_account_connections")),
    )


def downgrade() -> None:
    op.drop_table("account_connections")
    with op.batch_alter_table("oauth_flows", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_oauth_flows_account"))
    op.drop_table("oauth_flows")
