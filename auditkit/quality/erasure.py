"""What erasure clears in the quality tables: dispute comments and answers, spot-check notes.

The records keep them sealed under the subject's key; the tables' clear copies of the
subject's conversations are overwritten with the erased marker.
"""

from __future__ import annotations

from auditkit.ledger.projections.registry import register_staff_text_eraser
from auditkit.quality.store import erase_quality_staff_text

register_staff_text_eraser("quality", erase_quality_staff_text)
