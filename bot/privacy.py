"""Privacy: addresses as keyed HMAC (lookup) + Fernet ciphertext (reply); pseudonyms in logs."""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import sys
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from bot.settings import Settings
from bot.store.engine import unit_of_work
from bot.store.models import Contact, DataKeyFingerprint, Outbox

log = logging.getLogger(__name__)


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

    def chat_key(self, channel: str, address: str) -> int:
        """The inbound queue's key for one chat, from the keyed digest (see `chat_key`)."""
        return chat_key(self.address_hash(channel, address))

    def encrypt(self, value: str) -> str:
        return self._fernet.encrypt(value.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise DataKeyError("stored address cannot be decrypted with this DATA_KEY") from exc

    def can_decrypt(self, token: str) -> bool:
        try:
            self.decrypt(token)
        except DataKeyError:
            return False
        return True

    @property
    def fingerprint(self) -> str:
        """Names the key without revealing it (a keyed digest of a fixed label)."""
        return hmac.new(self._mac_key, b"defensoras-data-key-fingerprint", "sha256").hexdigest()

    @staticmethod
    def pseudonym(address_hash: str) -> str:
        """Short, stable, non-reversible name for logs and defensoras: 'C-7F3A'."""
        return "C-" + address_hash[:4].upper()


def chat_key(address_hash: str) -> int:
    """A chat as a positive BIGINT: the leading 60 bits of her address's keyed digest (no more
    than the contact row already holds, and nothing without the key). Two chats that share one
    only queue behind each other."""
    return int(address_hash[:15], 16)


def key_path(settings: Settings) -> Path:
    """Where the key file is: DATA_KEY_FILE made absolute (against the working directory)."""
    return Path(settings.data_key_file).expanduser().absolute()


def load_vault(settings: Settings, engine: Engine) -> Vault:
    """The data key (DATA_KEY, else the key file) checked against the database it wrote.

    A key is created only for a database that holds no data yet; a missing key file or a key
    whose fingerprint differs from the database's is refused, naming where the key was sought.
    """
    stored = stored_fingerprint(engine)
    holds_data = stored is not None or encrypted_sample(engine) is not None
    path = key_path(settings)
    if settings.data_key is not None:
        where = "DATA_KEY"
        vault = Vault(settings.data_key.get_secret_value().encode())
    elif path.exists():
        where = str(path)
        vault = Vault(_read_key(path))
    elif holds_data:
        raise DataKeyError(
            f"la base de datos guarda datos cifrados y no hay clave: DATA_KEY no está definida y "
            f"no existe {path} (DATA_KEY_FILE). Restaura esa clave; una clave nueva dejaría "
            "ilegibles todos los contactos"
        )
    else:
        where = str(path)
        vault = Vault(_create_key(path))
    _check_or_record(engine, vault, stored, where)
    log.info("data key from %s", where)
    return vault


def _read_key(path: Path) -> bytes:
    key = path.read_bytes().strip()
    try:
        base64.urlsafe_b64decode(key)
    except ValueError as exc:
        raise DataKeyError(f"{path} does not hold a valid data key") from exc
    return key


def _create_key(path: Path) -> bytes:
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
    return key


def _check_or_record(engine: Engine, vault: Vault, stored: str | None, where: str) -> None:
    mismatch = DataKeyError(
        f"la clave de datos de {where} no es la que cifró esta base de datos (huella "
        f"{vault.fingerprint[:8]}, la base espera {(stored or '?')[:8]}): restaura la clave "
        "original; con otra no se reconocería a nadie y ningún mensaje podría enviarse"
    )
    if stored is not None:
        if not hmac.compare_digest(stored, vault.fingerprint):
            raise mismatch
        return
    sample = encrypted_sample(engine)  # a database written before fingerprints were kept
    if sample is not None and not vault.can_decrypt(sample):
        raise mismatch
    try:
        with unit_of_work(engine) as db:
            db.add(DataKeyFingerprint(fingerprint=vault.fingerprint))
    except IntegrityError:  # another process recorded it first: it must be the same key
        if stored_fingerprint(engine) != vault.fingerprint:
            raise mismatch from None


def stored_fingerprint(engine: Engine) -> str | None:
    with unit_of_work(engine) as db:
        row = db.get(DataKeyFingerprint, 1)
        return row.fingerprint if row is not None else None


def encrypted_sample(engine: Engine) -> str | None:
    """One encrypted address the database holds, if any."""
    with unit_of_work(engine) as db:
        for column in (Contact.address_enc, Outbox.address_enc):
            found = db.exec(select(col(column)).limit(1)).first()
            if found is not None:
                return found
    return None
