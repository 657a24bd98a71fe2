"""auditkit.reporting."""
