"""auditkit.metrics."""
