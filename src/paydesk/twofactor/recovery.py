"""One-time recovery codes: how they look, how they are read back, how they are stored.

A code is 16 characters from a 32-letter alphabet (80 random bits), shown as four groups of
four. Only a SHA-256 digest salted per set is stored: 80 random bits need no key stretching (as
API keys, see paydesk.api.services), and the salt keeps one digest from matching another set.
Never stores or logs a code in clear.
"""

from __future__ import annotations

import hashlib
import secrets

# No 0/O, 1/I: a code read off paper is typed back without guessing.
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 16
GROUP = 4
CODES_PER_SET = 10


def recovery_code_new() -> str:
    """A fresh code, grouped for reading: `ABCD-EFGH-JKLM-NPQR`."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i : i + GROUP] for i in range(0, CODE_LENGTH, GROUP))


def recovery_code_normalize(text: str) -> str | None:
    """The code as stored, whatever the case, spaces or dashes it was typed with; None when it
    cannot be a recovery code."""
    raw = "".join(ch for ch in (text or "").upper() if ch not in " -\t")
    if len(raw) != CODE_LENGTH or any(ch not in ALPHABET for ch in raw):
        return None
    return raw


def recovery_code_digest(salt: str, text: str) -> str | None:
    raw = recovery_code_normalize(text)
    if raw is None:
        return None
    return hashlib.sha256(f"{salt}:{raw}".encode("ascii")).hexdigest()


def recovery_code_hash(salt: str, code: str) -> str:
    """The stored digest of a code recovery_code_new made; ValueError for anything else."""
    digest = recovery_code_digest(salt, code)
    if digest is None:
        raise ValueError("Not a recovery code.")
    return digest


def recovery_salt_new() -> str:
    return secrets.token_hex(16)
