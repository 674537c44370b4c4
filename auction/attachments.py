"""Documents and photos a court attaches to a lot (拍卖规定 第十二条: the notice, the bidding
rules and the appraisal or inquiry report are published with the lot): the table, the checks
(kind, type by content, size) and the files under ``settings.data_dir``. No HTTP."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import ForeignKey, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from auction.store import Lot
from fapai.db import Base, UTCDateTime
from fapai.errors import NotFound, RuleViolation
from fapai.settings import Settings

# kind → what the lot page calls it. Every kind but ``photo`` is a PDF document.
KINDS: dict[str, str] = {
    "announcement": "拍卖公告",
    "rules": "竞买须知",
    "appraisal": "评估报告",
    "inquiry": "询价报告",
    "other": "其他文件",
    "photo": "标的照片",
}
PHOTO = "photo"
# Recognised by their first bytes, never by the name or the browser's word for them.
_SIGNATURES: dict[str, tuple[bytes, str, str]] = {
    "pdf": (b"%PDF-", "application/pdf", ".pdf"),
    "jpeg": (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    "png": (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
}


class Attachment(Base):
    """One file of a lot; the bytes live at :func:`attachment_path`."""

    __tablename__ = "auction_attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lot_id: Mapped[int] = mapped_column(
        ForeignKey("auction_lots.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(100))
    content_type: Mapped[str] = mapped_column(String(50))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("auction_users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime)


@dataclass(frozen=True)
class FileType:
    content_type: str
    suffix: str


def sniff(content: bytes) -> FileType | None:
    """The type of ``content`` by its first bytes (PDF, JPEG, PNG, WebP), or None."""
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return FileType("image/webp", ".webp")
    for signature, content_type, suffix in _SIGNATURES.values():
        if content.startswith(signature):
            return FileType(content_type, suffix)
    return None


def check_upload(kind: str, content: bytes, settings: Settings) -> FileType:
    """The file's type if a court may attach it as ``kind``: a known kind, not empty, at most
    ``attachment_max_bytes``, a PDF for documents and a JPEG, PNG or WebP for photos."""
    if kind not in KINDS:
        raise RuleViolation("kind", f"文件类别须为：{'、'.join(KINDS.values())}")
    if not content:
        raise RuleViolation("file", "请选择要上传的文件")
    if len(content) > settings.attachment_max_bytes:
        limit = settings.attachment_max_bytes / 1024 / 1024
        raise RuleViolation("file", f"文件不得超过 {limit:g} MB")
    found = sniff(content)
    if kind == PHOTO:
        if found is None or not found.content_type.startswith("image/"):
            raise RuleViolation("file", "照片须为 JPEG、PNG 或 WebP 图片")
    elif found is None or found.content_type != "application/pdf":
        raise RuleViolation("file", f"{KINDS[kind]}须为 PDF 文件")
    return found


def attachment_path(settings: Settings, attachment: Attachment) -> Path:
    suffix = next((s for _, t, s in _SIGNATURES.values() if t == attachment.content_type), ".webp")
    return (
        Path(settings.data_dir)
        / "attachments"
        / str(attachment.lot_id)
        / (f"{attachment.id}-{attachment.sha256[:16]}{suffix}")
    )


def attach(
    session: Session,
    lot_id: int,
    kind: str,
    title: str,
    content: bytes,
    user_id: int | None,
    now: datetime,
    settings: Settings,
) -> Attachment:
    """Check and store a file for a lot: the row (flushed, in the caller's transaction) and
    the bytes (written before the row is committed; a failed commit leaves an orphan file,
    never a row without its file)."""
    if session.get(Lot, lot_id) is None:
        raise NotFound(f"没有编号为 {lot_id} 的拍品", "lot_id")
    found = check_upload(kind, content, settings)
    title = (title or "").strip()[:100] or KINDS[kind]
    row = Attachment(
        lot_id=lot_id,
        kind=kind,
        title=title,
        content_type=found.content_type,
        size_bytes=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        uploaded_by=user_id,
        uploaded_at=now,
    )
    session.add(row)
    session.flush()
    path = attachment_path(settings, row)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return row


def lot_attachments(session: Session, lot_id: int) -> list[Attachment]:
    """A lot's files: documents first (in the order of ``KINDS``), then photos; oldest first."""
    rows = session.scalars(
        select(Attachment).where(Attachment.lot_id == lot_id).order_by(Attachment.id)
    ).all()
    order = list(KINDS)
    return sorted(rows, key=lambda a: order.index(a.kind) if a.kind in order else len(order))


def get_attachment(session: Session, lot_id: int, attachment_id: int) -> Attachment:
    row = session.get(Attachment, attachment_id)
    if row is None or row.lot_id != lot_id:
        raise NotFound(f"拍品 {lot_id} 没有编号为 {attachment_id} 的文件", "attachment_id")
    return row
