"""Whole calendar dates (a date of birth is the day, month and year together).

spaCy's NER often takes "March 1984" out of "3rd March 1984" and leaves the day in
clear. These patterns find the whole date as ``DATE_TIME``: day, month name and year
in either order ("3rd March 1984", "12 feb 1984", "March 3, 1984"), and any date after
a birth cue ("born", "DOB", "date of birth", "birthday").
"""

from __future__ import annotations

from auditkit.pii.entities import EntityType
from auditkit.pii.recognizers.base import GroupPatternRecognizer, pattern

_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"
_YEAR = r"(?:19|20)\d{2}"
_NUMERIC = r"\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})|\d{4}-\d{2}-\d{2}"


class CalendarDateRecognizer(GroupPatternRecognizer):
    """Finds a whole written date and any date after a birth cue."""

    PATTERNS = (
        pattern(
            "day month year",
            EntityType.DATE_TIME,
            rf"\b{_DAY}\s+(?:of\s+)?{_MONTH},?\s+{_YEAR}\b",
            0.6,
        ),
        pattern("month day year", EntityType.DATE_TIME, rf"\b{_MONTH}\s+{_DAY},?\s+{_YEAR}\b", 0.6),
        pattern(
            "birth date",
            EntityType.DATE_TIME,
            r"\b(?:born(?:\s+on)?|d\.?o\.?b\.?|date\s+of\s+birth|birth\s?date|birthday)"
            r"(?:\s*(?:is|was|:|-))*\s*"
            rf"(?P<value>{_NUMERIC}|{_DAY}\s+(?:of\s+)?{_MONTH}(?:,?\s+(?:{_YEAR}|\d{{2}}))?"
            rf"|{_MONTH}\s+{_DAY}(?:,?\s+{_YEAR})?)",
            0.7,
        ),
    )

    def __init__(self) -> None:
        super().__init__(name="CalendarDateRecognizer")
