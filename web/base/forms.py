"""Parsing of posted forms into service inputs: dates, numbers, choices, the scoring form."""

from __future__ import annotations

from datetime import date

from werkzeug.datastructures import MultiDict

from auditkit import periods
from auditkit.errors import InputRefused
from auditkit.ledger.records import format_time
from auditkit.review.workspace import DraftInput, ExampleInput


def optional_date(
    form: MultiDict[str, str], name: str, label: str, problems: list[str]
) -> date | None:
    """A YYYY-MM-DD field, or None when empty; a bad value is noted in ``problems``."""
    value = form.get(name, "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        problems.append(f"{label}: {value!r} is not a date (YYYY-MM-DD)")
        return None


def whole_number(
    form: MultiDict[str, str],
    name: str,
    label: str,
    problems: list[str],
    *,
    default: int | None = None,
) -> int | None:
    """A whole-number field; a bad or missing value is noted in ``problems``."""
    value = form.get(name, "").strip()
    if not value:
        if default is None:
            problems.append(f"{label}: required")
        return default
    try:
        return int(value)
    except ValueError:
        problems.append(f"{label}: {value!r} is not a whole number")
        return default


def refuse_if(problems: list[str]) -> None:
    """Raise the refusal when any field was bad."""
    if problems:
        raise InputRefused(problems)


def draft_from_form(form: MultiDict[str, str]) -> tuple[DraftInput, str]:
    """The scoring form as a draft, and the button pressed (``save``, ``add_example``, …).

    Existing coaching examples come back as ``example-N-*`` fields; the new one is added
    only when its button was pressed, and ``remove_example:N`` drops example N.
    """
    action = form.get("action", "save")
    ratings = {k[len("rating.") :]: v for k, v in form.items() if k.startswith("rating.") and v}
    notes = {k[len("note.") :]: v for k, v in form.items() if k.startswith("note.")}
    examples: list[ExampleInput] = []
    raw_count = form.get("example-count", "0")
    count = int(raw_count) if raw_count.isdigit() else 0
    remove = action.split(":", 1)[1] if action.startswith("remove_example:") else None
    for index in range(min(count, 100)):
        if remove == str(index):
            continue
        prefix = f"example-{index}-"
        examples.append(
            ExampleInput(
                first_seq=form.get(prefix + "first", ""),
                last_seq=form.get(prefix + "last", ""),
                label=form.get(prefix + "label", ""),
                criterion=form.get(prefix + "criterion", ""),
                note=form.get(prefix + "note", ""),
            )
        )
    if action == "add_example":
        examples.append(
            ExampleInput(
                first_seq=form.get("new-example-first", ""),
                last_seq=form.get("new-example-last", ""),
                label=form.get("new-example-label", ""),
                criterion=form.get("new-example-criterion", ""),
                note=form.get("new-example-note", ""),
            )
        )
    seen = form.get("seen_last_seq", "")
    return (
        DraftInput(
            ratings=ratings,
            notes=notes,
            summary=form.get("summary", ""),
            examples=tuple(examples),
            seen_last_seq=int(seen) if seen.isdigit() else None,
        ),
        action,
    )


def day_bounds(since: date | None, until: date | None) -> tuple[str | None, str | None]:
    """A period of whole UTC days as ledger times: from the start of ``since`` up to, not
    including, the day after ``until``."""
    start, end = periods.day_bounds(since, until)
    return (format_time(start) if start else None), (format_time(end) if end else None)


def period_from_args(
    args: MultiDict[str, str],
) -> tuple[str | None, str | None, dict[str, str]]:
    """The ``since``/``until`` query arguments of a page: ledger-time bounds and the raw
    values to show back in the form (refused with every problem at once)."""
    problems: list[str] = []
    since = optional_date(args, "since", "from", problems)
    until = optional_date(args, "until", "to", problems)
    refuse_if(problems)
    start, end = day_bounds(since, until)
    return start, end, {"since": args.get("since", ""), "until": args.get("until", "")}
