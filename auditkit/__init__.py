"""auditkit: a compliance and quality-audit toolkit for messaging support conversations."""

__version__ = "0.1.0"
