"""auditkit.pii.detection."""
