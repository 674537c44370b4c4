"""The server secret (made once in the data directory), the keyed ID lookup, encryption; and
migrations t0001/t0002 converting existing rows: courts from the cases' court names, plain
sha256 ID hashes to keyed ones, plain phones to encrypted ones."""

from __future__ import annotations

import hashlib
import stat
from datetime import UTC, datetime

from alembic import command
from sqlalchemy import create_engine, text

from auction.auth import id_check_character
from fapai import crypto
from fapai.db import alembic_config, migrate, normalize_url
from fapai.settings import Settings

NUMBER = "44010619900101123" + id_check_character("44010619900101123")


def test_the_secret_is_made_once_and_keys_a_lookup_no_dictionary_reverses(tmp_path):
    settings = Settings(data_dir=tmp_path / "data")
    secret = crypto.server_secret(settings)
    path = tmp_path / "data" / crypto.SECRET_FILE
    assert len(secret) == 32 and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert crypto.server_secret(Settings(data_dir=tmp_path / "data")) == secret  # kept
    keys = crypto.keys(settings)
    lookup = keys.lookup(NUMBER)
    assert lookup == keys.lookup(NUMBER) and len(lookup) == 64
    assert lookup != hashlib.sha256(NUMBER.encode()).hexdigest()
    other = crypto.keys(Settings(data_dir=tmp_path / "elsewhere"))  # another installation
    assert other.lookup(NUMBER) != lookup
    sealed = keys.encrypt(NUMBER)
    assert NUMBER not in sealed and keys.decrypt(sealed) == NUMBER
    assert other.decrypt(sealed) is None  # another key reads nothing
    given = Settings(data_dir=tmp_path / "unused", secret_key="ab" * 32)
    assert crypto.server_secret(given) == bytes.fromhex("ab" * 32)
    assert not (tmp_path / "unused").exists()


def test_migrations_convert_existing_rows(tmp_path, monkeypatch):
    data_dir = tmp_path / "data"
    monkeypatch.setenv("FAPAI_DATA_DIR", str(data_dir))
    url = normalize_url(f"sqlite:///{tmp_path / 'old.db'}")
    command.upgrade(alembic_config(url), "a0003")
    command.upgrade(alembic_config(url), "i0001")
    now = datetime(2026, 1, 5, tzinfo=UTC).strftime("%Y-%m-%d %H:%M:%S.000000")
    digest = hashlib.sha256(NUMBER.encode()).hexdigest()
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO auction_users (id, name, role, id_number_hash, id_number_masked,"
                " phone, created_at) VALUES (1, '书记员', 'court', NULL, NULL, NULL, :t),"
                " (2, '张三', 'bidder', :h, '4401**********1234', '13800138000', :t),"
                " (3, '无案书记员', 'court', NULL, NULL, NULL, :t)"
            ),
            {"t": now, "h": digest},
        )
        conn.execute(
            text(
                "INSERT INTO auction_cases (id, case_number, court)"
                " VALUES (1, '(2025)粤0106执1号', '广州市天河区人民法院')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO auction_lots (id, case_id, title, property_type, city,"
                " reference_price, reference_method, inquiry_id, created_by, created_at, status,"
                " round, start_price, deposit, increment, published_at, starts_at, ends_at,"
                " current_price, bid_count, registration_seq) VALUES (1, 1, '房', 'residential',"
                " '广州市', 100, 'inquiry', 7, 1, :t, 'announced', '1', 70, 7, 1, :t, :t, :t, 70,"
                " 0, 0)"
            ),
            {"t": now},
        )
        conn.execute(
            text(
                "INSERT INTO inquiries (id, created_at, valid_until, reference_price,"
                " model_version, report) VALUES (7, :t, :t, 100, 'm', '{}'),"
                " (8, :t, :t, 100, 'm', '{}')"
            ),
            {"t": now},
        )
    migrate(url)
    keys = crypto.keys(Settings(data_dir=data_dir))
    with engine.connect() as conn:
        courts = dict(conn.execute(text("SELECT code, name FROM auction_courts")).all())
        users = {
            row.id: row
            for row in conn.execute(
                text("SELECT id, court_id, id_number_hmac, phone_encrypted FROM auction_users")
            )
        }
        lot_court = conn.execute(text("SELECT court_id FROM auction_lots")).scalar()
        inquiry_courts = dict(conn.execute(text("SELECT id, court_id FROM inquiries")).all())
        columns = {r[1] for r in conn.execute(text("PRAGMA table_info(auction_users)"))}
    engine.dispose()
    assert courts == {"C0001": "广州市天河区人民法院", "UNASSIGNED": "未指定法院"}
    assert users[1].court_id == lot_court and users[3].court_id not in (None, lot_court)
    assert users[2].id_number_hmac == keys.lookup(NUMBER)  # as a new registration stores it
    assert keys.decrypt(users[2].phone_encrypted) == "13800138000"
    assert inquiry_courts == {7: lot_court, 8: None}
    assert not {"id_number_hash", "phone"} & columns
