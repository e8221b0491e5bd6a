"""Panel security: argon2 password hashes, the signed session cookie, CSRF tokens, throttling."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, URLSafeTimedSerializer

COOKIE = "dp_panel"
SESSION_HOURS = 12
SLOW_AFTER = 3
"""Failed logins for one user name before each further try must wait (1 s, 2 s, 4 s...)."""
LOCK_AFTER = 10
LOCK_FOR = timedelta(minutes=15)
MAX_WAIT = timedelta(seconds=60)

_HASHER = PasswordHasher()


@cache
def _dummy() -> str:
    """The hash a missing user is checked against, made at the first login rather than at
    import: a hash takes argon2's 64 MiB, the whole start-up peak of every process that
    imports the panel (serve's VmHWM 163 -> 142 MiB), and the CLI's verbs pay its time."""
    return _HASHER.hash("una contraseña que nadie tiene")


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """Constant work whether or not the user exists (a missing user checks a dummy hash)."""
    dummy = _dummy()  # made at the first login of anyone, existing or not
    try:
        return _HASHER.verify(stored or dummy, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def password_problem(password: str) -> str | None:
    """Why a new password is refused, in Spanish, or None."""
    if len(password) < 10:
        return "la contraseña debe tener al menos 10 caracteres"
    if len(password) > 200:
        return "la contraseña es demasiado larga (máximo 200 caracteres)"
    return None


@dataclass(frozen=True, slots=True)
class Cookie:
    """What the signed cookie carries: a random nonce (the CSRF seed) and, once logged in,
    the user id and the session epoch she had when she logged in."""

    nonce: str
    user_id: int | None = None
    epoch: int = 0


class Signer:
    """Signs and reads the session cookie; derives CSRF tokens from its nonce."""

    def __init__(self, secret: str) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt="defensoras-panel-session")
        self._csrf_key = hashlib.sha256(b"defensoras-panel-csrf\x00" + secret.encode()).digest()

    def dump(self, cookie: Cookie) -> str:
        return self._serializer.dumps([cookie.nonce, cookie.user_id, cookie.epoch])

    def load(self, raw: str | None) -> Cookie | None:
        if not raw:
            return None
        try:
            value = self._serializer.loads(raw, max_age=SESSION_HOURS * 3600)
        except BadSignature:
            return None
        if not (isinstance(value, list) and len(value) == 3 and isinstance(value[0], str)):
            return None
        nonce, user_id, epoch = value
        if not (user_id is None or isinstance(user_id, int)) or not isinstance(epoch, int):
            return None
        return Cookie(nonce, user_id, epoch)

    def csrf_token(self, cookie: Cookie) -> str:
        return hmac.new(self._csrf_key, cookie.nonce.encode(), hashlib.sha256).hexdigest()

    def csrf_ok(self, cookie: Cookie | None, token: object) -> bool:
        if cookie is None or not isinstance(token, str):
            return False
        return hmac.compare_digest(self.csrf_token(cookie), token)


def new_cookie(user_id: int | None = None, epoch: int = 0) -> Cookie:
    return Cookie(secrets.token_urlsafe(18), user_id, epoch)


def retry_after_failure(failures: int, now: datetime) -> datetime | None:
    """When the next try is allowed after `failures` failed ones in a row (None: at once)."""
    if failures >= LOCK_AFTER:
        return now + LOCK_FOR
    if failures >= SLOW_AFTER:
        return now + min(timedelta(seconds=2 ** (failures - SLOW_AFTER)), MAX_WAIT)
    return None
