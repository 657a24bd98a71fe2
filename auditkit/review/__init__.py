"""auditkit.review."""
