"""Chatwoot as a source: its exported conversation objects (``export``), its webhook
deliveries (``webhooks``), the fields both map (``fields``) and the one-record-per-change
rule for status and owner changes seen by both paths (``lifecycle``)."""
