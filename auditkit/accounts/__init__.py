"""auditkit.accounts."""
