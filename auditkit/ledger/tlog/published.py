"""What happens once a batch's checkpoint is committed: kept on disk, offered to witnesses."""

from __future__ import annotations

import logging

from auditkit.ledger.installation import Installation
from auditkit.ledger.tlog.checkpoint_file import append_checkpoint
from auditkit.ledger.tlog.witnesses import submit_checkpoint

log = logging.getLogger(__name__)


def after_checkpoint(installation: Installation, note: str) -> None:
    """Keep the committed checkpoint in the checkpoint file and offer it to the witnesses.

    Never raises: the records are committed, and a witness that is down or refuses is
    recorded for ``auditkit witness status`` and retried on later checkpoints.
    """
    append_checkpoint(installation, note)
    try:
        for result in submit_checkpoint(installation, note):
            if not result.ok:
                log.warning("witness %s: %s", result.witness, result.message)
    except Exception as exc:
        log.warning("witness submission failed: %s", exc)
