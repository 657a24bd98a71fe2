"""staff participants and per-policy outcome counts (issue 15: the roles' pages under 300 ms
at 100k conversations)

Revision ID: 0026
Revises: 0025

- ``staff_participants``: each distinct (participant id, role, name, team) of a participant who
  is not the customer ("" for no name or team), kept as participants are written and as
  erasure re-derives their names. The staff menus, the agents list and the dashboard named
  staff by aggregating every ``participants`` row of their conversations (263k at 100k).
- ``policy_outcome_counts``: per policy, how many latest results there are, evaluated (not
  ``not_applicable``) and failed, adjusted by the checks' recording. The dashboard aggregated
  every ``check_results`` row (1.1M at 100k) and the findings menu read its distinct policies.

Both are backfilled here from the tables they summarise (running it again writes the same rows).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "staff_participants",
        sa.Column("participant_id", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("team", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint(
            "participant_id", "role", "name", "team", name=op.f("pk_staff_participants")
        ),
    )
    op.execute(
        "INSERT INTO staff_participants (participant_id, role, name, team) "
        "SELECT DISTINCT participant_id, role, COALESCE(name, ''), COALESCE(team, '') "
        "FROM participants WHERE role <> 'customer'"
    )
    op.create_table(
        "policy_outcome_counts",
        sa.Column("policy_id", sa.String(length=200), nullable=False),
        sa.Column("results", sa.Integer(), nullable=False),
        sa.Column("evaluated", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("policy_id", name=op.f("pk_policy_outcome_counts")),
    )
    op.execute(
        "INSERT INTO policy_outcome_counts (policy_id, results, evaluated, failed) "
        "SELECT policy_id, count(*), "
        "SUM(CASE WHEN outcome <> 'not_applicable' THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN outcome = 'fail' THEN 1 ELSE 0 END) "
        "FROM check_results GROUP BY policy_id"
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("policy_outcome_counts")
    op.drop_table("staff_participants")
