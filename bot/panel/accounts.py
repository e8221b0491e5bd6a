"""Panel accounts: create, list, remove, log in (throttled), and the audit log."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlmodel import Session as DB
from sqlmodel import col, select

from bot import roster
from bot.panel.security import (
    LOCK_AFTER,
    SLOW_AFTER,
    hash_password,
    password_problem,
    retry_after_failure,
)
from bot.store.models import Defensora, LoginThrottle, PanelAudit, PanelUser

_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,59}$")


class Role(StrEnum):
    COORDINATOR = "coordinator"
    DEFENSORA = "defensora"


class AccountError(ValueError):
    """An account command that cannot be done; the message says why, in Spanish."""


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who is looking at a page: her account, role and (if linked) her roster entry."""

    user_id: int
    username: str
    role: Role
    epoch: int
    defensora_id: int | None
    defensora_name: str | None

    @property
    def is_coordinator(self) -> bool:
        return self.role is Role.COORDINATOR


def normal_username(username: str) -> str:
    return username.strip().casefold()[:60]


def add_user(
    db: DB, username: str, password: str, role: Role, defensora: str | None, now: datetime
) -> PanelUser:
    """A new account; a defensora's account is linked to her roster entry by name."""
    name = normal_username(username)
    if not _USERNAME.match(name):
        raise AccountError("usuario: 2 a 60 letras minúsculas, números, punto, guion o _")
    problem = password_problem(password)
    if problem:
        raise AccountError(problem)
    if db.exec(select(PanelUser).where(col(PanelUser.username) == name)).first():
        raise AccountError(f"ya existe el usuario {name!r}")
    if role is Role.DEFENSORA and defensora is None:
        raise AccountError("una cuenta de defensora necesita --defensora NOMBRE (de la lista)")
    linked = None
    if defensora is not None:
        try:
            linked = roster.find_defensora(db, defensora)
        except roster.RosterError as exc:
            raise AccountError(str(exc)) from exc
    user = PanelUser(
        username=name,
        password_hash=hash_password(password),
        role=role.value,
        defensora_id=linked.id if linked else None,
        created_at=now,
    )
    db.add(user)
    db.flush()
    audit(db, "cli", "user_added", f"{name} ({role.value})", now)
    return user


def list_users(db: DB) -> list[tuple[PanelUser, str | None]]:
    rows = db.exec(
        select(PanelUser, Defensora)
        .join(Defensora, col(PanelUser.defensora_id) == col(Defensora.id), isouter=True)
        .order_by(col(PanelUser.username))
    ).all()
    return [(user, member.name if member else None) for user, member in rows]


def remove_user(db: DB, username: str, now: datetime) -> None:
    name = normal_username(username)
    user = db.exec(select(PanelUser).where(col(PanelUser.username) == name)).first()
    if user is None:
        raise AccountError(f"no existe el usuario {name!r}")
    db.delete(user)
    audit(db, "cli", "user_removed", name, now)


def viewer_for(db: DB, user_id: int, epoch: int) -> Viewer | None:
    """The account behind a session cookie, unless it was removed or logged out since."""
    user = db.get(PanelUser, user_id)
    if user is None or user.id is None or user.session_epoch != epoch:
        return None
    member = db.get(Defensora, user.defensora_id) if user.defensora_id is not None else None
    active = member is not None and member.active
    return Viewer(
        user.id,
        user.username,
        Role(user.role),
        user.session_epoch,
        member.id if active and member is not None else None,
        member.name if active and member is not None else None,
    )


@dataclass(frozen=True, slots=True)
class LoginResult:
    user: PanelUser | None = None
    retry_at: datetime | None = None
    """Set when this user name must wait (slowed down or locked) before trying again."""


def throttle_key(username: str) -> str:
    """The throttle row's key: a digest, so a phone number typed as a user name is not kept."""
    return hashlib.sha256(b"panel-login\x00" + normal_username(username).encode()).hexdigest()[:40]


def login_allowed(db: DB, username: str, now: datetime) -> tuple[datetime | None, str | None]:
    """(when she may try again if she must wait, else None; the stored hash or None)."""
    name = normal_username(username)
    throttle = db.get(LoginThrottle, throttle_key(name))
    if throttle is not None and throttle.retry_at is not None and now < throttle.retry_at:
        return throttle.retry_at, None
    user = db.exec(select(PanelUser).where(col(PanelUser.username) == name)).first()
    return None, user.password_hash if user else None


def record_login(db: DB, username: str, ok: bool, now: datetime) -> LoginResult:
    """After the password was checked (outside any transaction: argon2 takes a while): reset
    the throttle on success; on failure make the next try for this name wait."""
    name, key = normal_username(username), throttle_key(username)
    throttle = db.get(LoginThrottle, key) or LoginThrottle(username=key)
    user = db.exec(select(PanelUser).where(col(PanelUser.username) == name)).first()
    if ok and user is not None:
        if throttle.failures:
            throttle.failures, throttle.retry_at = 0, None
            db.add(throttle)
        audit(db, name, "login", None, now)
        return LoginResult(user=user)
    throttle.failures += 1
    throttle.retry_at = retry_after_failure(throttle.failures, now)
    db.add(throttle)
    if throttle.failures in (SLOW_AFTER, LOCK_AFTER):  # an unknown name is not written down
        who = name if user is not None else "(usuario desconocido)"
        audit(db, who, "login_failures", f"{throttle.failures} seguidos", now)
    return LoginResult(retry_at=throttle.retry_at)


def end_sessions(db: DB, user_id: int, now: datetime) -> None:
    """Logout: every cookie this account holds stops working."""
    user = db.get(PanelUser, user_id)
    if user is not None:
        user.session_epoch += 1
        audit(db, user.username, "logout", None, now)


def recent_audit(db: DB, limit: int = 100) -> list[PanelAudit]:
    return list(db.exec(select(PanelAudit).order_by(col(PanelAudit.id).desc()).limit(limit)).all())


def audit(db: DB, username: str, action: str, detail: str | None, now: datetime) -> None:
    db.add(PanelAudit(at=now, username=username, action=action, detail=detail))
