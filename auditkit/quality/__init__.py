"""auditkit.quality."""
