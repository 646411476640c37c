"""Secrets at rest: Fernet (AES-128-CBC + HMAC) with the key generated in DATASLOT_HOME."""

from functools import cache

from cryptography.fernet import Fernet
from django.conf import settings


@cache
def _fernet() -> Fernet:
    return Fernet(settings.DATASLOT_ENCRYPTION_KEY.encode())


def encrypt(value: str) -> bytes:
    return _fernet().encrypt(value.encode())


def decrypt(token: bytes) -> str:
    return _fernet().decrypt(bytes(token)).decode()
