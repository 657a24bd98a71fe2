"""compact per-conversation timelines for the checks and AutoQA (issues 16 and 19)

Revision ID: 0022
Revises: 0015

One row per conversation (``conversation_timelines``): its header and every event's clear
fields in one JSON text, kept up to date by every append and rebuilt by ``verify``. The rows
of conversations already stored are written by ``auditkit init`` (which runs this
migration), since building them needs the master key; until then readers fall back to the
log.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "conversation_timelines",
        sa.Column("conversation_key", sa.String(length=200), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("timeline", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_key"],
            ["conversations.conversation_key"],
            name=op.f("fk_conversation_timelines_conversation_key_conversations"),
        ),
        sa.PrimaryKeyConstraint("conversation_key", name=op.f("pk_conversation_timelines")),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("conversation_timelines")
