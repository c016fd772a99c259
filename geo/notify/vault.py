"""Secrets at rest: targets (a robot URL carries its key) and channel secrets are encrypted
with Fernet; feed tokens are stored as SHA-256 digests. Nothing here is ever logged."""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from geo.kernel.errors import ServiceError
from geo.notify.settings import NotifySettings


class SecretKeyError(ServiceError):
    status = 500
    code = "NotifySecretKey"


def fernet(settings: NotifySettings) -> Fernet | MultiFernet:
    """The configured key(s), or one generated once into ``key_file`` (mode 0600). Several
    comma-separated keys rotate: the first encrypts, any of them decrypts."""
    if settings.secret_key:
        keys = [k.strip() for k in settings.secret_key.split(",") if k.strip()]
        return MultiFernet([Fernet(k.encode()) for k in keys])
    path = Path(settings.key_file)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first
            pass
        else:
            with os.fdopen(fd, "wb") as out:
                out.write(Fernet.generate_key())
    return Fernet(path.read_bytes().strip())


def encrypt(settings: NotifySettings, value: str | None) -> str | None:
    return None if value is None else fernet(settings).encrypt(value.encode()).decode()


def decrypt(settings: NotifySettings, token: str | None) -> str | None:
    if token is None:
        return None
    try:
        return fernet(settings).decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise SecretKeyError(
            "a stored notification secret cannot be decrypted: RM_NOTIFY_SECRET_KEY or "
            "the key file changed since the subscription was made"
        ) from exc


def new_token() -> str:
    return secrets.token_urlsafe(24)


def digest(token: str) -> str:
    """The stored form of a feed token (SHA-256, hex).

    >>> digest("abc")[:12]
    'ba7816bf8f01'
    """
    return hashlib.sha256(token.encode()).hexdigest()
