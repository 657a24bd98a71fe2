"""auditkit.privacy."""
