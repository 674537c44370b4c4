"""Accounts, courts, bearer tokens and web sessions.

Tokens and session keys are stored as sha256 hashes only (they are random, 256 bits: a hash
cannot be reversed). A bidder's resident ID number is checked in full (GB 11643-1999: a real
GB/T 2260 region code, a past birth date, an adult, the check character) and stored as a keyed
hash for uniqueness, encrypted for the court and masked for display (:mod:`fapai.crypto`).
"""

from __future__ import annotations

import re
import secrets
from datetime import date, datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from auction.store import ApiToken, Court, User, WebSession
from fapai import crypto, regions
from fapai.clock import SystemClock, to_display
from fapai.crypto import sha256_hex
from fapai.errors import Conflict, NotFound, RuleViolation
from fapai.settings import Settings

ROLES = ("court", "bidder")
GB_11643 = "GB 11643-1999"
GB_2260 = "GB/T 2260"
ADULT_AGE = 18  # 民法典 第十七条: 十八周岁以上的自然人为成年人
CIVIL_CODE_ADULT = "民法典 第十七条"
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_PHONE = re.compile(r"1[3-9]\d{9}")
_COURT_CODE = re.compile(r"[A-Za-z0-9_-]{1,20}")


# --- courts ---------------------------------------------------------------------------------


def create_court(session: Session, code: str, name: str, now: datetime | None = None) -> Court:
    """A new court (its ``code`` is how users and URLs name it, e.g. ``GZTH``)."""
    code, name = code.strip(), name.strip()
    if not _COURT_CODE.fullmatch(code):
        raise RuleViolation("code", "法院代码须为 1–20 位字母、数字、下划线或连字符")
    if not name or len(name) > 100:
        raise RuleViolation("name", "法院名称不能为空，且不超过 100 个字符")
    taken = session.scalars(
        select(Court.id).where(or_(Court.code == code, Court.name == name))
    ).first()
    if taken is not None:
        raise Conflict(f"法院代码或名称已存在：{code}（{name}）", "code")
    court = Court(code=code, name=name, created_at=now or SystemClock().now())
    session.add(court)
    session.flush()
    return court


def ensure_court(session: Session, code: str, name: str, now: datetime | None = None) -> Court:
    """The court with ``code``, made (with ``name``) if there is none yet."""
    court = session.scalars(select(Court).where(Court.code == code.strip())).first()
    return court or create_court(session, code, name, now)


def court_by_code(session: Session, code: str) -> Court:
    court = session.scalars(select(Court).where(Court.code == code.strip())).first()
    if court is None:
        raise NotFound(f"没有代码为 {code} 的法院", "court")
    return court


# --- resident ID numbers ----------------------------------------------------------------------


def id_check_character(first17: str) -> str:
    """GB 11643-1999: the check character of the first 17 digits (ISO 7064 MOD 11-2)."""
    return _ID_CHECK[sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def validate_id_number(id_number: str, today: date) -> str:
    """The ID number normalised (upper-case X), or RuleViolation naming what is wrong: 18
    characters, a real region code (GB/T 2260, current or former), a real birth date in the
    past, an adult on ``today``, the check character."""
    s = id_number.strip().upper()
    if not re.fullmatch(r"\d{17}[\dX]", s):
        raise RuleViolation("id_number", "身份证号码应为 18 位：17 位数字加一位数字或 X", GB_11643)
    if not regions.is_region_code(s[:6]):
        raise RuleViolation("id_number", "前 6 位不是有效的行政区划代码", GB_2260)
    try:
        born = date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
    except ValueError:
        raise RuleViolation("id_number", "第 7–14 位不是有效的出生日期", GB_11643) from None
    if born >= today or born.year < 1900:
        raise RuleViolation("id_number", "出生日期须在过去（1900 年以后）", GB_11643)
    try:
        of_age = born.replace(year=born.year + ADULT_AGE)
    except ValueError:  # born on 29 February
        of_age = date(born.year + ADULT_AGE, 3, 1)
    if of_age > today:
        raise RuleViolation("id_number", "竞买人须年满十八周岁", CIVIL_CODE_ADULT)
    if id_check_character(s[:17]) != s[17]:
        raise RuleViolation("id_number", "校验码不符，请核对号码", GB_11643)
    return s


def mask_id_number(id_number: str) -> str:
    """``440106199001011234`` → ``4401**********1234``: enough to recognise, not to reuse."""
    return id_number[:4] + "*" * 10 + id_number[-4:]


# --- accounts and tokens ----------------------------------------------------------------------


def _issue_token(session: Session, user: User, now: datetime, days: int | None) -> str:
    token = secrets.token_urlsafe(32)
    expires = now + timedelta(days=days) if days else None
    session.add(
        ApiToken(user_id=user.id, token_hash=sha256_hex(token), created_at=now, expires_at=expires)
    )
    return token


def create_user(
    session: Session,
    name: str,
    role: str,
    now: datetime | None = None,
    *,
    court: Court | None = None,
    token_days: int | None = None,
) -> tuple[User, str]:
    """A new user with a fresh bearer token; the token is returned once and stored hashed. A
    court user belongs to ``court``; a bidder to none."""
    if role not in ROLES:
        raise RuleViolation("role", f"must be one of {', '.join(ROLES)}")
    name = name.strip()
    if not name:
        raise RuleViolation("name", "姓名不能为空")
    if (role == "court") != (court is not None):
        raise RuleViolation("court", "法院账号须属于一个法院，竞买人账号不属于法院")
    now = now or SystemClock().now()
    user = User(name=name, role=role, court_id=court.id if court else None, created_at=now)
    session.add(user)
    session.flush()
    return user, _issue_token(session, user, now, token_days)


def _live_token(now: datetime):
    return (
        ApiToken.revoked_at.is_(None),
        or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > now),
    )


def user_for_token(session: Session, token: str, now: datetime | None = None) -> User | None:
    """The user holding ``token`` while it is neither expired nor revoked, or None."""
    now = now or SystemClock().now()
    return session.scalars(
        select(User)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.token_hash == sha256_hex(token), *_live_token(now))
    ).first()


def revoke_user(session: Session, user_id: int, now: datetime) -> int:
    """End every token and web session of the user; the number of them ended."""
    if session.get(User, user_id) is None:
        raise NotFound(f"没有编号为 {user_id} 的用户", "user_id")
    ended = session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    ).rowcount
    ended += session.execute(
        update(WebSession)
        .where(WebSession.user_id == user_id, WebSession.revoked_at.is_(None))
        .values(revoked_at=now)
    ).rowcount
    return ended


def rotate_token(session: Session, user_id: int, now: datetime, token_days: int | None) -> str:
    """A new token for the user; the old tokens and sessions end now."""
    revoke_user(session, user_id, now)
    user = session.get(User, user_id)
    assert user is not None
    return _issue_token(session, user, now, token_days)


# --- web sessions -----------------------------------------------------------------------------


def open_session(session: Session, user: User, now: datetime, hours: int) -> str:
    """A web session for ``user``; the returned key goes in the cookie, its hash is stored."""
    key = secrets.token_urlsafe(32)
    session.add(
        WebSession(
            user_id=user.id,
            key_hash=sha256_hex(key),
            created_at=now,
            expires_at=now + timedelta(hours=hours),
        )
    )
    return key


def user_for_session(session: Session, key: str, now: datetime) -> User | None:
    """The user of a live web session, or None (expired, ended or unknown)."""
    return session.scalars(
        select(User)
        .join(WebSession, WebSession.user_id == User.id)
        .where(
            WebSession.key_hash == sha256_hex(key),
            WebSession.revoked_at.is_(None),
            WebSession.expires_at > now,
        )
    ).first()


def close_session(session: Session, key: str, now: datetime) -> None:
    """Sign-out: the session ends now (a copied cookie no longer works)."""
    session.execute(
        update(WebSession)
        .where(WebSession.key_hash == sha256_hex(key), WebSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )


# --- bidder self-registration -----------------------------------------------------------------


def register_bidder_account(
    session: Session, name: str, id_number: str, phone: str, now: datetime, settings: Settings
) -> tuple[User | None, str]:
    """Self-registration of a bidder: the ID number checked in full, stored as a keyed hash,
    encrypted and masked; the phone encrypted.

    An ID number that already has an account gets the same kind of answer as a new one (a
    token, which authenticates nothing, and no user), so the answer does not reveal that the
    account exists; see SECURITY.md.
    """
    number = validate_id_number(id_number, to_display(now, settings.display_timezone).date())
    phone = phone.strip()
    if not _PHONE.fullmatch(phone):
        raise RuleViolation("phone", "手机号码应为 1 开头的 11 位数字")
    k = crypto.keys(settings)
    lookup = k.lookup(number)
    if session.scalars(select(User.id).where(User.id_number_hmac == lookup)).first() is not None:
        return None, secrets.token_urlsafe(32)
    user, token = create_user(session, name, "bidder", now, token_days=settings.api_token_days)
    user.id_number_hmac = lookup
    user.id_number_encrypted = k.encrypt(number)
    user.id_number_masked = mask_id_number(number)
    user.phone_encrypted = k.encrypt(phone)
    return user, token


def bidder_by_id_number(
    session: Session, name: str, id_number: str, now: datetime, settings: Settings
) -> User:
    """The registered bidder with this resident ID number and name, as a court names a priority
    purchaser (拍卖规定 第十九条): by who they are, never by an internal id. Found by the keyed
    lookup value, as registration stores it."""
    number = validate_id_number(id_number, to_display(now, settings.display_timezone).date())
    lookup = crypto.keys(settings).lookup(number)
    user = session.scalars(
        select(User).where(User.id_number_hmac == lookup, User.role == "bidder")
    ).first()
    if user is None:
        raise NotFound("该身份证号码尚未注册竞买人账号：请其先在本平台注册", "id_number")
    if user.name.strip() != name.strip():
        raise RuleViolation("name", "姓名与该身份证号码注册的姓名不一致")
    return user
