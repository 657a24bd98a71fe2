"""The whole schema: every feature's tables on the one MetaData, every projection registered.

The one place that names every feature's tables (and what erasure clears in them): ``migrations/env.py`` targets ``metadata``
from here (so ``alembic check`` sees all of it), and ``verify`` loads it before walking the
registered projections. It is the only core module allowed to import features (the layering
test names it).
"""

import auditkit.accounts.tables
import auditkit.autoqa.projections
import auditkit.autoqa.tables
import auditkit.checks.tables
import auditkit.ledger.projections.registered
import auditkit.ledger.projections.timelines
import auditkit.ledger.tables
import auditkit.metrics.tables
import auditkit.pii.digests
import auditkit.pii.tables
import auditkit.privacy.tables
import auditkit.quality.erasure
import auditkit.quality.tables
import auditkit.review.projections
import auditkit.review.tables
import auditkit.sources.erasure
import auditkit.sources.tables  # noqa: F401
from auditkit.db.metadata import metadata

__all__ = ["metadata"]
