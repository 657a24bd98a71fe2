"""Reads and writes of saved sampling rules and their per-rule draw history."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, and_, insert, select

from auditkit.quality.tables import sampling_rule_runs, sampling_rules
from auditkit.review.tables import review_samples

Row = dict[str, Any]


def insert_rule(conn: Connection, row: Mapping[str, Any]) -> int:
    """Store a rule; returns its id."""
    result = conn.execute(insert(sampling_rules).values(**row).returning(sampling_rules.c.id))
    return int(result.scalar_one())


def rule_by_name(conn: Connection, name: str) -> Row | None:
    """The rule called ``name``."""
    row = conn.execute(select(sampling_rules).where(sampling_rules.c.name == name)).first()
    return None if row is None else dict(row._mapping)


def rules(conn: Connection, *, active_only: bool = False) -> list[Row]:
    """Every rule, by name."""
    query = select(sampling_rules).order_by(sampling_rules.c.name)
    if active_only:
        query = query.where(sampling_rules.c.active.is_(True))
    return [dict(row._mapping) for row in conn.execute(query)]


def ran_on(conn: Connection, rule_id: int, day: str) -> bool:
    """Whether the rule already drew on ``day``."""
    query = select(sampling_rule_runs.c.id).where(
        and_(sampling_rule_runs.c.rule_id == rule_id, sampling_rule_runs.c.ran_on == day)
    )
    return conn.execute(query).first() is not None


def insert_run(conn: Connection, row: Mapping[str, Any]) -> None:
    """Record one draw of a rule (or why it drew nothing)."""
    conn.execute(insert(sampling_rule_runs).values(**row))


def runs(conn: Connection, rule_id: int, *, limit: int = 20) -> list[Row]:
    """A rule's latest draws, newest first, each with its sample's coverage (a dict, or None)."""
    query = (
        select(sampling_rule_runs, review_samples.c.rule.label("sample_rule"))
        .outerjoin(review_samples, review_samples.c.id == sampling_rule_runs.c.sample_id)
        .where(sampling_rule_runs.c.rule_id == rule_id)
        .order_by(sampling_rule_runs.c.id.desc())
        .limit(limit)
    )
    found = []
    for row in conn.execute(query):
        run = dict(row._mapping)
        rule = run.pop("sample_rule")
        run["coverage"] = json.loads(rule).get("coverage") if rule else None
        found.append(run)
    return found
