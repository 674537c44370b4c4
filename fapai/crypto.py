"""The server secret and what it keys: HMAC of ID numbers, encryption of ID and phone numbers.

One secret per installation: ``FAPAI_SECRET_KEY`` or, when unset, the file ``secret.key`` in
``FAPAI_DATA_DIR``, written (mode 0600) on first use if absent, so every worker of a server
reads the same one. Two independent keys are derived from it (HKDF-SHA256, one label each):

- the **lookup key**: ``HMAC-SHA256(key, sha256(number))`` finds an ID number already
  registered without storing anything a dictionary attack can reverse (there are only about
  10^10 plausible ID numbers, so a plain hash of one is recovered in seconds);
- the **encryption key**: Fernet (AES-128-CBC with an HMAC, from ``cryptography``) for numbers
  the court must be able to read (the bidder's full ID number, the phone number).

The HMAC is taken over the sha256 of the number so that rows stored before the key existed
(which kept only that sha256) could be converted in place (migration t0002).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from functools import lru_cache
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from fapai.settings import Settings

SECRET_FILE = "secret.key"


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _read_or_create(path: Path) -> bytes:
    """The secret in ``path``, written there first if the file does not exist. Creating with
    O_EXCL means two processes starting at once agree on one secret."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32) + "\n")
    for _ in range(50):  # another process may be between creating and writing the file
        text = path.read_text().strip()
        if text:
            return bytes.fromhex(text)
        os.sched_yield()
    raise RuntimeError(f"{path} is empty: delete it to make a new secret")


@lru_cache(maxsize=8)
def _secret_for(configured: str | None, data_dir: str) -> bytes:
    if configured:
        return bytes.fromhex(configured)
    return _read_or_create(Path(data_dir).expanduser().resolve() / SECRET_FILE)


def server_secret(settings: Settings) -> bytes:
    """The installation's secret (see the module docstring)."""
    configured = settings.secret_key.get_secret_value() if settings.secret_key else None
    return _secret_for(configured, str(settings.data_dir))


def _derive(secret: bytes, label: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=label).derive(secret)


class Keys:
    """The keys derived from one server secret."""

    def __init__(self, secret: bytes) -> None:
        self._lookup = _derive(secret, b"fapai id-number lookup")
        self._fernet = Fernet(base64.urlsafe_b64encode(_derive(secret, b"fapai encryption")))

    def lookup_of_digest(self, sha256_digest: str) -> str:
        """The keyed lookup value of a number given as its sha256 (hex)."""
        return hmac.new(self._lookup, sha256_digest.encode("ascii"), hashlib.sha256).hexdigest()

    def lookup(self, number: str) -> str:
        """The keyed lookup value of ``number``: equal numbers, equal values; not reversible
        without the key."""
        return self.lookup_of_digest(sha256_hex(number))

    def encrypt(self, text: str) -> str:
        return self._fernet.encrypt(text.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str | None:
        """The plain text, or None when it was encrypted under another secret."""
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except InvalidToken:
            return None


def keys(settings: Settings) -> Keys:
    """The keys of this installation."""
    return _keys_for(server_secret(settings))


@lru_cache(maxsize=8)
def _keys_for(secret: bytes) -> Keys:
    return Keys(secret)
