"""keyed digests of customers' name parts (issue 17: masking after erasure)

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "pii_name_digests",
        sa.Column("conversation_key", sa.String(length=200), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("conversation_key", "digest", name=op.f("pk_pii_name_digests")),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("pii_name_digests")
