"""documentation equipment, inventory rounds and checks, the leaders' agenda and its assignments

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 07:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import humas.store.models

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

ROUND_OPEN = "status = 'open'"  # = models.ROUND_OPEN
UTC = humas.store.models.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "equipment_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("serial", sa.String(length=100), nullable=True),
        sa.Column("storage", sa.String(length=200), nullable=False),
        sa.Column("condition", sa.String(length=16), nullable=False),
        sa.Column("readiness", sa.String(length=16), nullable=True),
        sa.Column("checked_at", UTC(timezone=True), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("retired_at", UTC(timezone=True), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("updated_at", UTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_equipment_items_created_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_equipment_items")),
        sa.UniqueConstraint("serial", name=op.f("uq_equipment_items_serial")),
    )
    op.create_table(
        "inventory_rounds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sop_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("step_id", sa.String(length=64), nullable=True),
        sa.Column("assignees", sa.JSON(), nullable=False),
        sa.Column("report_note", sa.Text(), nullable=False),
        sa.Column("started_by_id", sa.Integer(), nullable=False),
        sa.Column("started_at", UTC(timezone=True), nullable=False),
        sa.Column("finished_by_id", sa.Integer(), nullable=True),
        sa.Column("finished_at", UTC(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["finished_by_id"], ["users.id"],
                                name=op.f("fk_inventory_rounds_finished_by_id_users")),
        sa.ForeignKeyConstraint(["started_by_id"], ["users.id"], name=op.f("fk_inventory_rounds_started_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inventory_rounds")),
    )
    # one round in progress per SOP
    op.create_index("ux_inventory_rounds_open", "inventory_rounds", ["sop_id"], unique=True,
                    postgresql_where=sa.text(ROUND_OPEN), sqlite_where=sa.text(ROUND_OPEN))
    op.create_table(
        "inventory_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("present", sa.Boolean(), nullable=False),
        sa.Column("condition", sa.String(length=16), nullable=False),
        sa.Column("battery_percent", sa.Integer(), nullable=True),
        sa.Column("memory_free_gb", sa.Float(), nullable=True),
        sa.Column("memory_free_percent", sa.Integer(), nullable=True),
        sa.Column("readiness", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("checked_by_id", sa.Integer(), nullable=False),
        sa.Column("checked_at", UTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["checked_by_id"], ["users.id"], name=op.f("fk_inventory_checks_checked_by_id_users")),
        sa.ForeignKeyConstraint(["item_id"], ["equipment_items.id"],
                                name=op.f("fk_inventory_checks_item_id_equipment_items")),
        sa.ForeignKeyConstraint(["round_id"], ["inventory_rounds.id"],
                                name=op.f("fk_inventory_checks_round_id_inventory_rounds"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inventory_checks")),
        sa.UniqueConstraint("round_id", "item_id", name=op.f("uq_inventory_checks_round_id")),
    )
    op.create_index(op.f("ix_inventory_checks_item_id"), "inventory_checks", ["item_id"], unique=False)
    op.create_index(op.f("ix_inventory_checks_round_id"), "inventory_checks", ["round_id"], unique=False)
    op.create_table(
        "inventory_reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("due_key", sa.String(length=128), nullable=False),
        sa.Column("sent_at", UTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inventory_reminders")),
        sa.UniqueConstraint("due_key", name=op.f("uq_inventory_reminders_due_key")),
    )
    op.create_table(
        "agenda_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("leader", sa.String(length=32), nullable=False),
        sa.Column("leader_name", sa.String(length=200), nullable=False),
        sa.Column("activity", sa.Text(), nullable=False),
        sa.Column("place", sa.String(length=300), nullable=False),
        sa.Column("starts_at", UTC(timezone=True), nullable=False),
        sa.Column("ends_at", UTC(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("content_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("updated_at", UTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["content_id"], ["contents.id"], name=op.f("fk_agenda_entries_content_id_contents")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_agenda_entries_created_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agenda_entries")),
        sa.UniqueConstraint("content_id", name=op.f("uq_agenda_entries_content_id")),
    )
    op.create_index(op.f("ix_agenda_entries_starts_at"), "agenda_entries", ["starts_at"], unique=False)
    op.create_table(
        "agenda_assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("assigned_by_id", sa.Integer(), nullable=False),
        sa.Column("assigned_at", UTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["assigned_by_id"], ["users.id"],
                                name=op.f("fk_agenda_assignments_assigned_by_id_users")),
        sa.ForeignKeyConstraint(["entry_id"], ["agenda_entries.id"],
                                name=op.f("fk_agenda_assignments_entry_id_agenda_entries"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_agenda_assignments_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agenda_assignments")),
        sa.UniqueConstraint("entry_id", "user_id", name=op.f("uq_agenda_assignments_entry_id")),
    )
    op.create_index(op.f("ix_agenda_assignments_entry_id"), "agenda_assignments", ["entry_id"], unique=False)
    op.create_table(
        "equipment_loans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("holder_id", sa.Integer(), nullable=False),
        sa.Column("checked_out_by_id", sa.Integer(), nullable=False),
        sa.Column("checked_out_at", UTC(timezone=True), nullable=False),
        sa.Column("returned_at", UTC(timezone=True), nullable=True),
        sa.Column("returned_by_id", sa.Integer(), nullable=True),
        sa.Column("return_condition", sa.String(length=16), nullable=True),
        sa.Column("return_note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["checked_out_by_id"], ["users.id"],
                                name=op.f("fk_equipment_loans_checked_out_by_id_users")),
        sa.ForeignKeyConstraint(["entry_id"], ["agenda_entries.id"],
                                name=op.f("fk_equipment_loans_entry_id_agenda_entries"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["holder_id"], ["users.id"], name=op.f("fk_equipment_loans_holder_id_users")),
        sa.ForeignKeyConstraint(["item_id"], ["equipment_items.id"],
                                name=op.f("fk_equipment_loans_item_id_equipment_items")),
        sa.ForeignKeyConstraint(["returned_by_id"], ["users.id"], name=op.f("fk_equipment_loans_returned_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_equipment_loans")),
    )
    op.create_index(op.f("ix_equipment_loans_entry_id"), "equipment_loans", ["entry_id"], unique=False)
    op.create_index(op.f("ix_equipment_loans_item_id"), "equipment_loans", ["item_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_equipment_loans_item_id"), table_name="equipment_loans")
    op.drop_index(op.f("ix_equipment_loans_entry_id"), table_name="equipment_loans")
    op.drop_table("equipment_loans")
    op.drop_index(op.f("ix_agenda_assignments_entry_id"), table_name="agenda_assignments")
    op.drop_table("agenda_assignments")
    op.drop_index(op.f("ix_agenda_entries_starts_at"), table_name="agenda_entries")
    op.drop_table("agenda_entries")
    op.drop_table("inventory_reminders")
    op.drop_index(op.f("ix_inventory_checks_round_id"), table_name="inventory_checks")
    op.drop_index(op.f("ix_inventory_checks_item_id"), table_name="inventory_checks")
    op.drop_table("inventory_checks")
    op.drop_index("ux_inventory_rounds_open", table_name="inventory_rounds", postgresql_where=sa.text(ROUND_OPEN),
                  sqlite_where=sa.text(ROUND_OPEN))
    op.drop_table("inventory_rounds")
    op.drop_table("equipment_items")
