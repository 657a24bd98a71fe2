"""fingerprints of installation secrets: the event-digest key (issue 18: keyed event keys)

Revision ID: 0024
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "installation_keys",
        sa.Column("purpose", sa.String(length=40), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("purpose", name=op.f("pk_installation_keys")),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("installation_keys")
