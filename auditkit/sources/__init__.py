"""auditkit.sources."""
