"""Accounts and bearer tokens. Tokens and ID numbers are stored as sha256 hashes only.

A mainland resident ID (公民身份号码) is checked against GB 11643-1999: 17 digits (with a real
birth date at positions 7–14) and a check character from the ISO 7064 MOD 11-2 checksum.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from auction.store import ApiToken, User
from fapai.clock import SystemClock
from fapai.errors import Conflict, NotFound, RuleViolation

ROLES = ("court", "bidder")
GB_11643 = "GB 11643-1999"
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_PHONE = re.compile(r"1[3-9]\d{9}")


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def id_check_character(first17: str) -> str:
    """GB 11643-1999: the check character of the first 17 digits (ISO 7064 MOD 11-2)."""
    return _ID_CHECK[sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def validate_id_number(id_number: str) -> str:
    """The ID number normalised (upper-case X), or RuleViolation naming what is wrong."""
    s = id_number.strip().upper()
    if not re.fullmatch(r"\d{17}[\dX]", s):
        raise RuleViolation(
            "id_number", "must be 18 characters: 17 digits then a digit or X", GB_11643
        )
    try:
        date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
    except ValueError:
        raise RuleViolation(
            "id_number", "characters 7–14 must be a real birth date", GB_11643
        ) from None
    if id_check_character(s[:17]) != s[17]:
        raise RuleViolation("id_number", "the check character does not match", GB_11643)
    return s


def mask_id_number(id_number: str) -> str:
    """``440106199001011234`` → ``4401**********1234``: enough to recognise, not to reuse."""
    return id_number[:4] + "*" * 10 + id_number[-4:]


def _issue_token(session: Session, user: User, now: datetime) -> str:
    token = secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, token_hash=sha256_hex(token), created_at=now))
    return token


def create_user(
    session: Session, name: str, role: str, now: datetime | None = None
) -> tuple[User, str]:
    """A new user with a fresh bearer token; the token is returned once and stored hashed."""
    if role not in ROLES:
        raise RuleViolation("role", f"must be one of {', '.join(ROLES)}")
    name = name.strip()
    if not name:
        raise RuleViolation("name", "must not be empty")
    now = now or SystemClock().now()
    user = User(name=name, role=role, created_at=now)
    session.add(user)
    session.flush()
    return user, _issue_token(session, user, now)


def user_for_token(session: Session, token: str) -> User | None:
    """The user holding ``token``, or None."""
    return session.scalars(
        select(User)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.token_hash == sha256_hex(token))
    ).first()


def register_bidder_account(
    session: Session, name: str, id_number: str, phone: str, now: datetime | None = None
) -> tuple[User, str]:
    """Self-registration of a bidder: ID checked (GB 11643), stored hashed and masked."""
    number = validate_id_number(id_number)
    phone = phone.strip()
    if not _PHONE.fullmatch(phone):
        raise RuleViolation(
            "phone", "must be a mainland mobile number of 11 digits starting with 1"
        )
    digest = sha256_hex(number)
    if session.scalars(select(User.id).where(User.id_number_hash == digest)).first() is not None:
        raise Conflict("an account with this ID number already exists", "id_number")
    user, token = create_user(session, name, "bidder", now)
    user.id_number_hash = digest
    user.id_number_masked = mask_id_number(number)
    user.phone = phone
    return user, token


def bidder_by_id_number(session: Session, name: str, id_number: str) -> User:
    """The registered bidder with this resident ID number and name, as a court names a priority
    purchaser (拍卖规定 第十九条): by who they are, never by an internal id."""
    number = validate_id_number(id_number)
    user = session.scalars(
        select(User).where(User.id_number_hash == sha256_hex(number), User.role == "bidder")
    ).first()
    if user is None:
        raise NotFound("该身份证号码尚未注册竞买人账号：请其先在本平台注册", "id_number")
    if user.name.strip() != name.strip():
        raise RuleViolation("name", "姓名与该身份证号码注册的姓名不一致")
    return user
