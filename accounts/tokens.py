"""Secret tokens: generation, hashing and constant-time verification (no Django)."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass

PREFIX_LENGTH = 8


@dataclass(frozen=True)
class NewToken:
    """A freshly minted token: `plaintext` is shown once; only `prefix` and `digest` are kept."""

    plaintext: str
    prefix: str
    digest: str


def digest(plaintext: str) -> str:
    """SHA-256 of a token. Tokens carry 256 bits of randomness, so a fast hash suffices."""
    return hashlib.sha256(plaintext.encode()).hexdigest()


def mint(kind: str) -> NewToken:
    """A new token `keel_<kind>_<prefix>_<secret>`; the prefix identifies it in lists and logs."""
    prefix = secrets.token_hex(PREFIX_LENGTH // 2)
    plaintext = f"keel_{kind}_{prefix}_{secrets.token_urlsafe(32)}"
    return NewToken(plaintext=plaintext, prefix=prefix, digest=digest(plaintext))


def split_prefix(plaintext: str) -> str | None:
    """The public prefix of a well-formed token, or None."""
    parts = plaintext.split("_", 3)
    if len(parts) != 4 or parts[0] != "keel" or len(parts[2]) != PREFIX_LENGTH:
        return None
    if not set(parts[2]) <= set("0123456789abcdef"):  # e.g. a NUL would fail the DB lookup
        return None
    return parts[2]


def matches(plaintext: str, stored_digest: str) -> bool:
    """Compare in constant time, so response timing reveals nothing about the stored digest."""
    return hmac.compare_digest(digest(plaintext), stored_digest)
