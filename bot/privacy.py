"""Privacy: addresses as keyed HMAC (lookup) + Fernet ciphertext (reply); pseudonyms in logs."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import sys
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from bot.settings import Settings


class DataKeyError(RuntimeError):
    """The data key is missing or malformed."""


class Vault:
    """Hashes, encrypts and pseudonymises contact addresses with one master key."""

    def __init__(self, master_key: bytes) -> None:
        try:
            self._fernet = Fernet(master_key)
        except (ValueError, TypeError) as exc:
            raise DataKeyError("DATA_KEY must be a Fernet key (32 url-safe base64 bytes)") from exc
        self._mac_key = hashlib.sha256(b"defensoras-address-hmac\x00" + master_key).digest()

    def address_hash(self, channel: str, address: str) -> str:
        """Stable keyed digest used to find a contact without storing the address."""
        message = f"{channel}\x00{address}".encode()
        return hmac.new(self._mac_key, message, hashlib.sha256).hexdigest()

    def encrypt(self, value: str) -> str:
        return self._fernet.encrypt(value.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise DataKeyError("stored address cannot be decrypted with this DATA_KEY") from exc

    @staticmethod
    def pseudonym(address_hash: str) -> str:
        """Short, stable, non-reversible name for logs and defensoras: 'C-7F3A'."""
        return "C-" + address_hash[:4].upper()


def load_vault(settings: Settings) -> Vault:
    """Key from DATA_KEY, else from the key file (created on first run with a notice on stderr)."""
    if settings.data_key is not None:
        return Vault(settings.data_key.get_secret_value().encode())
    path = Path(settings.data_key_file)
    if not path.exists():
        key = Fernet.generate_key()
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(key + b"\n")
        print(
            f"[defensoras] Clave de datos nueva creada en {path} (permisos 600). "
            "Sin ella no se pueden leer los contactos guardados: haz copia de seguridad "
            "o define DATA_KEY en producción.",
            file=sys.stderr,
        )
    key = path.read_bytes().strip()
    try:
        base64.urlsafe_b64decode(key)
    except ValueError as exc:
        raise DataKeyError(f"{path} does not hold a valid data key") from exc
    return Vault(key)
