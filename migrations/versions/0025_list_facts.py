"""failure counts per conversation for the conversation list; retention inputs per
conversation for the retention run (issue 15: the compliance officer's pages under 300 ms)

Revision ID: 0025
Revises: 0024

- ``check_failure_counts``: how many policies each conversation fails now (its latest
  results), kept by the checks' recording in the transaction that stores new results. The
  conversation list showed, filtered and sorted by a count per row over ``check_results``.
  Backfilled here from ``check_results`` (running it again writes the same rows).
- ``retention_facts``: each conversation's customer, channel, intents and closing time (what
  the retention rules read), refreshed by seq watermark from the compact timelines the first
  time a retention run needs them (as ``conversation_facts`` is), so a dry run is one grouped
  query instead of decoding a timeline per conversation.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "check_failure_counts",
        sa.Column("conversation_key", sa.String(length=200), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_key"],
            ["conversations.conversation_key"],
            name=op.f("fk_check_failure_counts_conversation_key_conversations"),
        ),
        sa.PrimaryKeyConstraint("conversation_key", name=op.f("pk_check_failure_counts")),
    )
    op.create_index(
        "ix_check_failure_counts_failed", "check_failure_counts", ["failed"], unique=False
    )
    op.execute(
        "INSERT INTO check_failure_counts (conversation_key, failed) "
        "SELECT conversation_key, count(*) FROM check_results WHERE outcome = 'fail' "
        "GROUP BY conversation_key"
    )
    op.create_table(
        "retention_facts",
        sa.Column("conversation_key", sa.String(length=200), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("customer", sa.String(length=200), nullable=False),
        sa.Column("channel", sa.String(length=100), nullable=False),
        sa.Column("intents", sa.Text(), nullable=False),
        sa.Column("closed_at", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["conversation_key"],
            ["conversations.conversation_key"],
            name=op.f("fk_retention_facts_conversation_key_conversations"),
        ),
        sa.PrimaryKeyConstraint("conversation_key", name=op.f("pk_retention_facts")),
    )
    op.create_index("ix_retention_facts_customer", "retention_facts", ["customer"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_retention_facts_customer", table_name="retention_facts")
    op.drop_table("retention_facts")
    op.drop_index("ix_check_failure_counts_failed", table_name="check_failure_counts")
    op.drop_table("check_failure_counts")
