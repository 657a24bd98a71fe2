"""The one error root of auditkit and its specific subclasses."""

from __future__ import annotations

from collections.abc import Sequence


class AuditkitError(Exception):
    """Root of every error auditkit raises on purpose; the CLI prints these and exits 1."""


class ConfigError(AuditkitError):
    """Settings are missing or invalid; ``problems`` lists every one found."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("invalid settings:\n  - " + "\n  - ".join(self.problems))


class NotInitialised(AuditkitError):
    """The installation has no database schema or signing key yet."""


class SigningKeyError(AuditkitError):
    """A signing key cannot be loaded (missing, wrong passphrase, unknown id)."""


class ImportRejected(AuditkitError):
    """An input line was refused; nothing from its batch was committed."""

    def __init__(self, *, source: str, line: int, reason: str) -> None:
        self.source = source
        self.line = line
        self.reason = reason
        super().__init__(f"{source}:{line}: {reason}")


class ProofError(AuditkitError):
    """A Merkle inclusion or consistency proof is malformed or does not verify."""


class CheckpointError(AuditkitError):
    """A checkpoint or signed note is malformed, or its signature does not verify."""


class TamperDetected(AuditkitError):
    """Verification found stored data that does not match what was committed."""

    def __init__(self, *, seq: int | None, reason: str) -> None:
        self.seq = seq
        self.reason = reason
        where = f"seq {seq}" if seq is not None else "ledger"
        super().__init__(f"tamper detected at {where}: {reason}")


class BundleInvalid(AuditkitError):
    """An export bundle fails verification; ``reason`` says which file and why."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class NotFound(AuditkitError):
    """A requested record, conversation or checkpoint does not exist."""


class InputRefused(AuditkitError):
    """Form input was refused and nothing was stored; ``problems`` holds every reason."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


class AccessDenied(AuditkitError):
    """The user's role or relation to the object does not allow the action."""


class Conflict(AuditkitError):
    """The object changed state (reassigned, submitted, new events) since it was shown."""


class WriterBusy(AuditkitError):
    """The single-writer lock stayed held past the wait limit (a long import, an erasure):
    nothing was written; the same call may be made again."""


class LoginRefused(AuditkitError):
    """Unknown user, wrong password or disabled account (deliberately not told apart)."""


class LoginThrottled(AuditkitError):
    """Too many failed sign-ins; ``retry_after`` is in seconds."""

    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        minutes = max(1, (retry_after + 59) // 60)
        super().__init__(
            f"too many failed sign-ins: try again in {minutes} minute{'s' if minutes > 1 else ''}"
        )
