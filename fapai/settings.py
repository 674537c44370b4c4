"""One settings object for the whole toolkit, read from the environment (prefix ``FAPAI_``).

The law is data: every rule parameter of the online judicial auction and of the reference
price is a named setting whose default is the legal value and whose description cites the
article. Tests and users override them with environment variables, e.g.
``FAPAI_MIN_BIDDING_SECONDS=60`` to shorten the bidding clock.

Citations:
- 拍卖规定 = 最高人民法院关于人民法院网络司法拍卖若干问题的规定, 法释〔2016〕18号
- 参考价规定 = 最高人民法院关于人民法院确定财产处置参考价若干问题的规定, 法释〔2018〕15号
"""

from __future__ import annotations

import os
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# The real public data the shipped datasets are derived from (../shared/data beside the repo);
# only the derive scripts, benchmarks and a few tests read it, never the running product.
SHARED_DATA_DIR = Path(os.environ.get("FAPAI_SHARED_DATA", PROJECT_ROOT.parent / "shared" / "data"))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FAPAI_", extra="ignore")

    # --- storage and runtime -------------------------------------------------------------
    database_url: str = Field(
        "sqlite:///./fapai.db",
        description="SQLAlchemy URL. SQLite file (WAL) by default; postgresql://… in production.",
    )
    models_dir: Path = Field(
        PROJECT_ROOT / "models",
        description="Folder of trained model artifacts (*.joblib) and their JSON model cards.",
    )
    redis_url: str | None = Field(
        None,
        description=(
            "Redis URL; when set, crawlers run distributed with scrapy-redis and the server's "
            "rate limits are shared by all its workers."
        ),
    )
    display_timezone: str = Field(
        "Asia/Shanghai", description="Time zone for display; storage is always UTC."
    )
    warm_models: bool = Field(
        True,
        description=(
            "Load the inquiry models in the background when the server starts, so the first "
            "inquiry answers as fast as the rest (trains the default model on a fresh machine)."
        ),
    )
    closing_interval_seconds: float = Field(
        1.0, description="How often the server's closing loop looks for rounds that ended."
    )
    market_estimate_interval_seconds: float = Field(
        60.0,
        ge=0,
        description="How often the server re-prices lots whose market estimate is missing or "
        "stale (a new lot, a new round, a newly promoted model), once its models are loaded; "
        "0: never (`fapai models promote` and publication still price them).",
    )
    log_format: Literal["json", "text"] = Field(
        "json",
        description="`fapai serve` logs: JSON lines (one object a line, for a log shipper) or "
        "plain text. Other commands print plain text to the terminal.",
    )
    data_dir: Path = Field(
        Path("./fapai-data"),
        description="Folder of the files courts attach to lots (documents and photos).",
    )
    attachment_max_bytes: int = Field(
        20 * 1024 * 1024, description="Largest document or photo a court may attach (bytes)."
    )

    # --- reminders to followers of a lot (关注) -------------------------------------------
    remind_before_seconds: int = Field(
        3600,
        description="Remind a lot's followers this long before bidding starts and before it ends.",
    )
    smtp_host: str | None = Field(
        None, description="SMTP server for e-mail reminders; none configured: no e-mail."
    )
    smtp_port: int = Field(25, description="Port of the SMTP server.")
    mail_from: str = Field("fapai@localhost", description="Sender address of e-mail reminders.")
    webhook_url: str | None = Field(
        None,
        description="URL that receives each reminder as a JSON POST; none configured: no webhook.",
    )

    # --- trust: secrets, sessions, payments, limits (see SECURITY.md) ------------------------
    data_dir: Path = Field(
        Path("fapai-data"),
        description=(
            "Folder of the server's own files: the secret key (``secret.key``, made on first "
            "start when absent) that keys ID-number hashes and encrypts ID and phone numbers."
        ),
    )
    secret_key: SecretStr | None = Field(
        None,
        description=(
            "The server secret (64 hex characters); when unset it is read from, or first "
            "written to, ``data_dir/secret.key``. Changing it makes stored numbers unreadable."
        ),
    )
    payment_adapter: Literal["court_account", "recorded"] = Field(
        "court_account",
        description=(
            "How deposits are collected (拍卖规定 第十七条). ``court_account``: the bidder pays "
            "into the court's account with a payment reference and stays pending until the "
            "court confirms; ``recorded``: recorded as paid at once (demo and tests only; every "
            "page says so)."
        ),
    )
    api_token_days: int | None = Field(
        365, ge=1, description="Days an API token stays valid; unset (empty) for no expiry."
    )
    session_hours: int = Field(
        12, ge=1, description="Hours a web sign-in session lasts (sign-out ends it at once)."
    )
    allowed_hosts: list[str] = Field(
        ["localhost", "127.0.0.1", "[::1]"],
        description=(
            "Host names the server answers to (the Host header); '*' for any. Links the "
            "pages build use the Host header, so list only the site's own names."
        ),
    )
    max_body_bytes: int = Field(
        8_000_000,
        ge=1024,
        description=(
            "Largest request body accepted (413 above it, refused before it is read when its "
            "length is declared); a batch appraisal of 10,000 properties fits."
        ),
    )
    rate_limit_signin: str = Field(
        "10/minute", description="Sign-in attempts per client IP (the `limits` notation)."
    )
    rate_limit_register: str = Field(
        "5/hour", description="Bidder self-registrations per client IP."
    )
    rate_limit_bid_user: str = Field("60/minute", description="Bids per bidder account.")
    rate_limit_bid_ip: str = Field("600/minute", description="Bids per client IP.")
    rate_limit_namespace: str = Field(
        "fapai", description="Prefix of the rate-limit counters (several sites on one Redis)."
    )

    # --- online judicial auction: 法释〔2016〕18号 ------------------------------------------
    start_price_floor_ratio: Decimal = Field(
        Decimal("0.70"),
        description="拍卖规定 第十条: the start price may not be below 70% of the reference price.",
    )
    deposit_min_ratio: Decimal = Field(
        Decimal("0.05"),
        description="拍卖规定 第十七条: the deposit is 5%–20% of the start price (lower bound).",
    )
    deposit_max_ratio: Decimal = Field(
        Decimal("0.20"),
        description="拍卖规定 第十七条: the deposit is 5%–20% of the start price (upper bound).",
    )
    min_bidding_seconds: int = Field(
        86400, description="拍卖规定 第二十条: bidding lasts at least 24 hours."
    )
    extension_seconds: int = Field(
        300,
        description=(
            "拍卖规定 第二十条: a bid in the last 5 minutes moves the end to 5 minutes after it."
        ),
    )
    announce_days_movable: int = Field(
        15, description="拍卖规定 第十二条: announce movables at least 15 days before the auction."
    )
    announce_days_immovable: int = Field(
        30,
        description=(
            "拍卖规定 第十二条: announce real estate and other property rights at least 30 days "
            "before the auction."
        ),
    )
    reauction_max_cut_ratio: Decimal = Field(
        Decimal("0.20"),
        description="拍卖规定 第二十六条: a re-auction's start price is cut at most 20%.",
    )
    reauction_within_days: int = Field(
        30, description="拍卖规定 第二十六条: a failed lot is re-auctioned within 30 days."
    )
    reannounce_days_movable: int = Field(
        7, description="拍卖规定 第二十六条: a re-auction of movables is announced 7 days before."
    )
    reannounce_days_immovable: int = Field(
        15,
        description="拍卖规定 第二十六条: a re-auction of real estate is announced 15 days before.",
    )
    sale_period_days: int = Field(
        60,
        description=(
            "变卖 after a second failed auction: a 60-day window at the second auction's start "
            "price (最高人民法院关于做好网络司法拍卖与网络司法变卖衔接工作的通知)."
        ),
    )
    refund_hours: int = Field(
        24, description="拍卖规定 第二十三条: losers' deposits are refunded within 24 hours."
    )
    sale_bidding_seconds: int = Field(
        86400,
        description=(
            "变卖: the first qualified bid opens a 24-hour bidding period, with the 5-minute "
            "extension (最高人民法院关于做好网络司法拍卖与网络司法变卖衔接工作的通知)."
        ),
    )
    sale_announce_days_movable: int = Field(
        7, description="变卖 of movables is announced 7 days before the 变卖期 (衔接通知)."
    )
    sale_announce_days_immovable: int = Field(
        15,
        description="变卖 of real estate is announced 15 days before the 变卖期 (衔接通知).",
    )
    sale_announce_within_days: int = Field(
        15,
        description=(
            "The 变卖 announcement is published within 15 days of the second failure (衔接通知)."
        ),
    )
    balance_payment_days: float = Field(
        10,
        description=(
            "拍卖规定 第二十五条: the buyer pays the balance within the period the notice states; "
            "the law sets no figure, 10 days is the common term. Stated in every notice."
        ),
    )
    resume_within_days: int = Field(
        5,
        description=(
            "拍卖规定 第二十八条: a suspended or stopped auction that is to continue is resumed "
            "within 5 days."
        ),
    )

    # --- reference price: 法释〔2018〕15号 --------------------------------------------------
    reference_grace_months: int = Field(
        6,
        description=(
            "参考价规定 第二十七条: an auction or 变卖 held no more than 6 months after the "
            "report's validity ended needs no new reference price (if the first auction's "
            "announcement fell within the validity)."
        ),
    )
    listed_inquiry_platform: bool = Field(
        False,
        description=(
            "参考价规定 第十三条: the reference price of an online inquiry is the mean of the "
            "results of the platforms on the SPC's list. Set only where this deployment is such "
            "a listed platform: then fapai's own estimate counts as one of the results; "
            "otherwise it is shown beside the legal reference price as an independent check."
        ),
    )
    inquiry_validity_days: int = Field(
        365,
        description=(
            "参考价规定 第二十七条: a price report states its validity period, at most one year."
        ),
    )

    @field_validator(
        "rate_limit_signin", "rate_limit_register", "rate_limit_bid_user", "rate_limit_bid_ip"
    )
    @classmethod
    def _rate(cls, value: str) -> str:
        """A rate in the ``limits`` notation (``10/minute``, ``100 per hour``), checked at
        start-up rather than at the first request."""
        from limits import parse

        parse(value)
        return value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once from the environment."""
    return Settings()
