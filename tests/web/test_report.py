"""The inquiry report view (exact money from the stored JSON) and its server-side PDF."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from auction.web import pdf
from auction.web.report import report_view


def test_view_reads_money_exactly_and_times_as_utc(sample_report) -> None:
    r = report_view(sample_report)
    assert r.reference_price == Decimal("3400000")
    assert [s.price for s in r.sources] == [Decimal("3400100.5"), Decimal("3399899.5")]
    assert r.model_price == Decimal("3400100.5")  # the model's own source, not the mean
    assert r.created_at == datetime(2026, 11, 25, 8, tzinfo=UTC)
    assert r.proposed.start_ratio == Decimal("0.8")
    assert r.lawful_range == (Decimal("2380000"), Decimal("3400000"))
    assert r.subject_title == "广州市天河区华景新城 中山大道西 1 号"


def test_view_charts_place_the_subject_and_the_proposal(sample_report) -> None:
    r = report_view(sample_report)
    bar = r.interval_chart()
    assert bar.outer[0] < bar.inner[0] < bar.point < bar.inner[1] < bar.outer[1]
    scatter = r.scatter_chart()
    assert len(scatter.dots) == 2 and scatter.subject is not None
    curve = r.outcome_chart()
    assert curve.floor_x < curve.chosen[0]


needs_fonts = pytest.mark.skipif(
    not (any(p.exists() for p in pdf.CJK_FONTS) and any(p.exists() for p in pdf.LATIN_FONTS)),
    reason="fonts missing: apt-get install fonts-droid-fallback fonts-dejavu-core",
)


@needs_fonts
def test_pdf_is_a_real_document_with_the_font_embedded(sample_report) -> None:
    body = pdf.report_pdf(report_view(sample_report))
    assert body.startswith(b"%PDF-") and body.rstrip().endswith(b"%%EOF")
    assert b"/FontFile2" in body  # the CJK TrueType font is embedded, so Chinese shows
    assert body.count(b"/Type /Page\n") + body.count(b"/Type /Page ") >= 1


def test_pdf_without_a_cjk_font_says_so(sample_report, monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(pdf, "CJK_FONTS", (tmp_path / "missing.ttf",))
    with pytest.raises(pdf.NoFont, match="fonts-droid-fallback"):
        pdf.report_pdf(report_view(sample_report))


@needs_fonts
def test_pdf_cache_makes_each_report_once_and_forgets_the_oldest(sample_report) -> None:
    cache = pdf.ReportPDFCache(size=1)
    first = report_view(sample_report)
    body = cache.get(first)
    assert cache.get(first) is body  # served from the cache, not made again
    second = report_view({**sample_report, "id": 8})
    cache.warm(second)
    assert cache.get(first) is not body  # evicted (size 1), made again
