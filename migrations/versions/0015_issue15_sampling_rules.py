"""saved sampling rules and their draws (issue 15)

Revision ID: 0015
Revises: 0019
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "sampling_rules",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("request", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_sampling_rules_created_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sampling_rules")),
        sa.UniqueConstraint("name", name=op.f("uq_sampling_rules_name")),
    )
    op.create_table(
        "sampling_rule_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("rule_id", sa.Integer(), nullable=False),
        sa.Column("ran_on", sa.String(length=10), nullable=False),
        sa.Column("ran_at", sa.String(length=32), nullable=False),
        sa.Column("sample_id", sa.Integer(), nullable=True),
        sa.Column("eligible", sa.Integer(), nullable=False),
        sa.Column("assigned", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["rule_id"],
            ["sampling_rules.id"],
            name=op.f("fk_sampling_rule_runs_rule_id_sampling_rules"),
        ),
        sa.ForeignKeyConstraint(
            ["sample_id"],
            ["review_samples.id"],
            name=op.f("fk_sampling_rule_runs_sample_id_review_samples"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sampling_rule_runs")),
    )
    op.create_index(
        "ix_sampling_rule_runs_rule_id", "sampling_rule_runs", ["rule_id", "ran_on"], unique=False
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_sampling_rule_runs_rule_id", table_name="sampling_rule_runs")
    op.drop_table("sampling_rule_runs")
    op.drop_table("sampling_rules")
