"""Witnesses (c2sp.org/tlog-witness): configured in files under AUDITKIT_HOME, offered every
new checkpoint with a consistency proof, their cosignatures kept beside the checkpoint file.

Everything here lives outside the database, like the checkpoint file: someone who can
write the database alone can neither remove a cosignature nor a witness. A witness that
is down never blocks ingestion: a failed submission is recorded, retried with back-off
on later checkpoints, and reported by ``auditkit witness status``.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import os
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditkit.errors import AuditkitError, CheckpointError
from auditkit.home import private_dir
from auditkit.ledger.checkpoint import parse_checkpoint
from auditkit.ledger.installation import Installation
from auditkit.ledger.proofs import prove_consistency
from auditkit.ledger.tlog.checkpoint_file import KeptCheckpoint
from auditkit.ledger.tlog.cosignature import WitnessKey, check_cosignature, parse_witness_key

WITNESS_DIR = "witnesses"
CONFIG_FILE = "witnesses.conf"
COSIGNATURES_FILE = "cosignatures.log"
STATE_FILE = "state.json"
TIMEOUT_SECONDS = 3.0
FIRST_RETRY_SECONDS = 60.0
LAST_RETRY_SECONDS = 3600.0
MAX_ANSWER_BYTES = 256 * 1024
"""Most of a witness's answer read: cosignature lines or a checkpoint are far smaller."""


class WitnessRefused(AuditkitError):
    """A witness configuration that cannot be used."""


@dataclass(frozen=True)
class Witness:
    """A configured witness: its cosigning key and submission URL prefix."""

    key: WitnessKey
    url: str


@dataclass(frozen=True)
class Submission:
    """What one witness answered to one checkpoint."""

    witness: str
    ok: bool
    message: str


def _dir(installation: Installation) -> Path:
    return installation.settings.home / WITNESS_DIR


def configured_witnesses(installation: Installation) -> list[Witness]:
    """The witnesses of this installation, in the order they were added."""
    path = _dir(installation) / CONFIG_FILE
    if not path.is_file():
        return []
    witnesses = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        vkey, _, url = line.strip().partition(" ")
        try:
            witnesses.append(Witness(parse_witness_key(vkey), url.strip()))
        except CheckpointError as exc:
            raise WitnessRefused(f"{path}:{number}: {exc}") from None
    return witnesses


def add_witness(installation: Installation, vkey: str, url: str) -> Witness:
    """Configure a witness by its vkey (``NAME+ID+KEY``, type 0x04) and submission prefix."""
    key = parse_witness_key(vkey)
    if not url.startswith(("http://", "https://")) or any(ch.isspace() for ch in url):
        raise WitnessRefused(f"witness URL {url!r} is not an http(s) URL")
    if any(w.key.name == key.name for w in configured_witnesses(installation)):
        raise WitnessRefused(f"a witness named {key.name!r} is already configured")
    directory = _dir(installation)
    private_dir(directory)
    descriptor = os.open(directory / CONFIG_FILE, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(descriptor, "a", encoding="utf-8") as handle:
        handle.write(f"{key.vkey()} {url.rstrip('/')}\n")
    return Witness(key, url.rstrip("/"))


def _body_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def _note_body(note: str) -> bytes:
    split = note.find("\n\n")
    if split < 0:
        raise CheckpointError("checkpoint note has no signatures")
    return note[: split + 1].encode("utf-8")


def stored_cosignatures(installation: Installation, note: str) -> list[str]:
    """The cosignature lines kept for the checkpoint ``note`` (one per witness, newest)."""
    path = _dir(installation) / COSIGNATURES_FILE
    if not path.is_file():
        return []
    digest = _body_digest(_note_body(note))
    lines: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        key, _, rest = line.partition("\t")
        name, _, signature = rest.partition("\t")
        if key == digest and signature:
            lines[name] = signature
    return list(lines.values())


def cosigned_note(installation: Installation, note: str) -> str:
    """``note`` with every cosignature kept for it appended (unchanged when there is none)."""
    extra = [line for line in stored_cosignatures(installation, note) if line not in note]
    return note + "".join(line + "\n" for line in extra)


def _keep_cosignatures(
    installation: Installation, note: str, witness: str, lines: list[str]
) -> None:
    digest = _body_digest(_note_body(note))
    text = "".join(f"{digest}\t{witness}\t{line}\n" for line in lines)
    descriptor = os.open(
        _dir(installation) / COSIGNATURES_FILE, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600
    )
    try:
        os.write(descriptor, text.encode("utf-8"))
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _load_state(installation: Installation) -> dict[str, dict[str, Any]]:
    path = _dir(installation) / STATE_FILE
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return state if isinstance(state, dict) else {}


def _save_state(installation: Installation, state: dict[str, dict[str, Any]]) -> None:
    path = _dir(installation) / STATE_FILE
    temporary = path.with_name(f".{STATE_FILE}.{os.getpid()}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(json.dumps(state, indent=2, sort_keys=True))
    os.replace(temporary, path)


def witness_status(installation: Installation) -> list[tuple[Witness, dict[str, Any]]]:
    """Each witness with what is known of it: cosigned size, last error, next retry."""
    state = _load_state(installation)
    return [(w, state.get(w.key.name, {})) for w in configured_witnesses(installation)]


def _post(url: str, body: bytes) -> tuple[int, str, bytes]:
    # The URL is an http(s) witness prefix checked by add_witness.
    request = urllib.request.Request(  # noqa: S310
        url, data=body, method="POST", headers={"Content-Type": "text/plain; charset=utf-8"}
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            return (
                response.status,
                response.headers.get("Content-Type", ""),
                response.read(MAX_ANSWER_BYTES),
            )
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Content-Type", ""), exc.read(MAX_ANSWER_BYTES)
    except (http.client.HTTPException, ValueError) as exc:  # a broken answer or URL
        raise OSError(f"{type(exc).__name__}: {exc}") from None


def _request_body(installation: Installation, old: int, size: int, note: str) -> bytes:
    proof: tuple[bytes, ...] = ()
    if 0 < old < size:
        proof = prove_consistency(installation, old, size).proof
    lines = [f"old {old}", *(base64.b64encode(h).decode("ascii") for h in proof)]
    return ("\n".join(lines) + "\n\n" + note).encode("utf-8")


def _submit_one(installation: Installation, witness: Witness, old: int, note: str) -> Submission:
    checkpoint = parse_checkpoint(_note_body(note))
    name = witness.key.name
    for _attempt in range(2):  # a 409 tells the size the witness has: retry once from it
        if old > checkpoint.size:
            return Submission(
                name,
                False,
                f"the witness has cosigned size {old}, larger than this log's {checkpoint.size}: "
                "the log was rolled back or forked; investigate before anything else",
            )
        try:
            body = _request_body(installation, old, checkpoint.size, note)
        except AuditkitError as exc:
            return Submission(name, False, f"no consistency proof from size {old}: {exc}")
        try:
            status, content_type, answer = _post(f"{witness.url}/add-checkpoint", body)
        except OSError as exc:
            return Submission(name, False, f"not reachable: {exc}")
        if status == 409 and content_type.startswith("text/x.tlog.size"):
            try:
                old = int(answer.decode("ascii").strip())
            except (UnicodeDecodeError, ValueError):
                return Submission(name, False, "409 without a tree size")
            continue
        if status != 200:
            text = answer.decode("utf-8", "replace").strip()[:200]
            return Submission(name, False, f"refused with HTTP {status}: {text}")
        try:
            lines = answer.decode("utf-8").splitlines()
            valid = [
                line
                for line in lines
                if check_cosignature(witness.key, _note_body(note), line) is not None
            ]
        except (UnicodeDecodeError, CheckpointError) as exc:
            return Submission(name, False, f"answered a bad cosignature: {exc}")
        if not valid:
            return Submission(name, False, "answered no cosignature by its configured key")
        _keep_cosignatures(installation, note, name, valid)
        return Submission(name, True, f"cosigned size {checkpoint.size}")
    return Submission(name, False, "the witness's size kept changing (409 twice)")


def submit_checkpoint(
    installation: Installation, note: str, *, force: bool = False
) -> list[Submission]:
    """Offer ``note`` to every configured witness (skipping, unless ``force``, those in back-off)."""
    witnesses = configured_witnesses(installation)
    if not witnesses:
        return []
    state = _load_state(installation)
    now = time.time()
    results = []
    for witness in witnesses:
        entry = state.setdefault(witness.key.name, {})
        if not force and entry.get("retry_at", 0) > now:
            results.append(Submission(witness.key.name, False, "in back-off after a failure"))
            continue
        result = _submit_one(installation, witness, int(entry.get("size", 0)), note)
        if result.ok:
            size = parse_checkpoint(_note_body(note)).size
            entry.update(size=size, error=None, failures=0, retry_at=0, cosigned_at=now)
        else:
            failures = int(entry.get("failures", 0)) + 1
            delay = min(FIRST_RETRY_SECONDS * 2 ** (failures - 1), LAST_RETRY_SECONDS)
            entry.update(error=result.message, failures=failures, retry_at=now + delay)
        results.append(result)
    _save_state(installation, state)
    return results


def _get(url: str) -> tuple[int, bytes]:
    request = urllib.request.Request(url, method="GET")  # noqa: S310  (an http(s) prefix)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            return response.status, response.read(MAX_ANSWER_BYTES)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(MAX_ANSWER_BYTES)
    except (http.client.HTTPException, ValueError) as exc:
        raise OSError(f"{type(exc).__name__}: {exc}") from None


def witnessed_checkpoints(installation: Installation) -> tuple[list[KeptCheckpoint], list[str]]:
    """Each witness's newest cosigned checkpoint of this log (``GET <prefix>/<origin hash>/
    checkpoint``), kept only when its cosignature verifies; and one line per witness that
    could not be asked or answered something invalid."""
    origin_hash = hashlib.sha256(installation.origin.encode("utf-8")).hexdigest()
    kept: list[KeptCheckpoint] = []
    problems: list[str] = []
    for witness in configured_witnesses(installation):
        where = f"witness {witness.key.name}"
        try:
            status, answer = _get(f"{witness.url}/{origin_hash}/checkpoint")
        except OSError as exc:
            problems.append(f"{where}: not reachable: {exc}")
            continue
        if status == 404:
            continue  # it never cosigned this log: nothing to compare
        try:
            if status != 200:
                raise CheckpointError(f"answered HTTP {status}")
            note = answer.decode("utf-8")
            body = _note_body(note)
            lines = note[len(body) + 1 :].splitlines()
            if not any(check_cosignature(witness.key, body, line) is not None for line in lines):
                raise CheckpointError("its checkpoint carries no cosignature by its key")
        except (UnicodeDecodeError, CheckpointError) as exc:
            problems.append(f"{where}: {exc}")
            continue
        kept.append(KeptCheckpoint(where=f"{where}'s newest cosigned checkpoint", note=note))
    return kept, problems
