"""Helpers for the PII unit tests: run one recognizer as the analyzer would, block the network."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from presidio_analyzer import EntityRecognizer


def found(recognizer: Any, text: str) -> list[tuple[str, str]]:
    """(entity type, matched text) of every result after Presidio's de-duplication, in order."""
    results = EntityRecognizer.remove_duplicates(recognizer.analyze(text, None))
    results = sorted(results, key=lambda r: (r.start, r.end, r.entity_type))
    return [(str(r.entity_type), text[r.start : r.end]) for r in results]


def block_network(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Make every host lookup and connection fail; returns the list of attempts made."""
    attempts: list[str] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        attempts.append(repr(args[:2]))
        raise OSError("network access is blocked in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return attempts
