"""Proof-of-payment files: what kind a file really is (by its first bytes, never by its name or
the browser's say-so), and where the bytes are kept.

Files are kept under MEDIA_ROOT/proofs/ with random names. No URL serves MEDIA_ROOT: a proof is
sent only by a view that first checks who asks (views.py, admin.py). Written by hand: three file
signatures do not justify a dependency.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings

from paydesk.banktransfers.models import ProofKind

# Signatures: PDF (ISO 32000 §7.5.2 header), PNG (its 8-byte signature + the IHDR chunk that must
# follow), JPEG (SOI marker followed by another marker).
_SIGNATURES: list[tuple[bytes, str]] = [
    (b"%PDF-", ProofKind.PDF),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR", ProofKind.PNG),
    (b"\xff\xd8\xff", ProofKind.JPEG),
]
HEADER_BYTES = 16
CONTENT_TYPES: dict[str, str] = {
    ProofKind.PDF: "application/pdf",
    ProofKind.PNG: "image/png",
    ProofKind.JPEG: "image/jpeg",
}
EXTENSIONS: dict[str, str] = {ProofKind.PDF: "pdf", ProofKind.PNG: "png", ProofKind.JPEG: "jpg"}


def proof_kind(header: bytes) -> str | None:
    """The kind of file whose first bytes are `header`, or None when it is none we accept."""
    for signature, kind in _SIGNATURES:
        if header.startswith(signature):
            return kind
    return None


def proofs_dir() -> Path:
    return Path(settings.MEDIA_ROOT) / "proofs"


def proof_path(stored_name: str) -> Path:
    """The file of a stored proof; the name is ours (random hex), never the customer's."""
    if not stored_name or "/" in stored_name or "\\" in stored_name or stored_name.startswith("."):
        raise ValueError("Not a stored proof name.")
    return proofs_dir() / stored_name


def proof_store(chunks: Iterable[bytes], kind: str) -> str:
    """Write the bytes to a new file with a random name; return that name."""
    directory = proofs_dir()
    directory.mkdir(parents=True, exist_ok=True, mode=0o750)
    name = f"{secrets.token_hex(20)}.{EXTENSIONS[kind]}"
    with open(directory / name, "xb") as handle:
        for chunk in chunks:
            handle.write(chunk)
    return name


def proof_discard(stored_name: str) -> None:
    """Remove a file whose database row was never written (a refused or failed attach)."""
    proof_path(stored_name).unlink(missing_ok=True)
