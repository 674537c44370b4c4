"""The inquiry report read back from the stored JSON (exact money, the one report type), its
charts and its server-side PDF. ``sample_report`` was issued before platforms were recorded:
older reports keep reading."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from app.web import pdf
from app.web.report import report_charts, source_rows
from valuation.inquiry import InquiryReport


def report_view(body) -> InquiryReport:
    return InquiryReport.from_json(body, "Asia/Shanghai")


def test_view_reads_money_exactly_and_times_as_utc(sample_report) -> None:
    r = report_view(sample_report)
    assert r.reference_price == Decimal("3400000")
    assert [s.price for s in r.sources] == [Decimal("3400100.5"), Decimal("3399899.5")]
    # The model's own source, not the mean; it counted, as every source did then.
    assert r.estimate.price_total == Decimal("3400100.5") and r.estimate_counts
    assert r.created_at == datetime(2026, 11, 25, 8, tzinfo=UTC)
    assert r.outcome.proposed.start_ratio == Decimal("0.8")
    assert (r.outcome.lawful_min, r.outcome.lawful_max) == (Decimal("2380000"), Decimal("3400000"))
    assert [row[0] for row in source_rows(r, "Asia/Shanghai")] == [
        "本平台估价模型 price-20261125",
        "京东",
    ]
    assert [row[4] for row in source_rows(r, "Asia/Shanghai")] == ["是", "是"]
    assert r.subject_title == "广州市天河区华景新城 中山大道西 1 号"
    # Issued before comparables were labelled, or the case and court recorded: read as such.
    assert [(c.price_label, c.source_name) for c in r.comparables] == [("挂牌价", "链家")] * 2
    assert (r.case_number, r.court) == (None, None)


def test_view_charts_place_the_subject_and_the_proposal(sample_report) -> None:
    charts = report_charts(report_view(sample_report))
    bar = charts.interval
    assert bar.outer[0] < bar.inner[0] < bar.point < bar.inner[1] < bar.outer[1]
    scatter = charts.scatter
    assert len(scatter.dots) == 2 and scatter.subject is not None
    curve = charts.outcome
    assert curve.floor_x < curve.chosen[0]


needs_fonts = pytest.mark.skipif(
    not (any(p.exists() for p in pdf.CJK_FONTS) and any(p.exists() for p in pdf.LATIN_FONTS)),
    reason="fonts missing: apt-get install fonts-droid-fallback fonts-dejavu-core",
)


@needs_fonts
def test_pdf_is_a_real_document_with_the_font_embedded(sample_report) -> None:
    cache = pdf.ReportPDFCache()  # made in a worker process, as the server does
    try:
        body = cache.get(report_view(sample_report))
    finally:
        cache.close()
    assert body.startswith(b"%PDF-") and body.rstrip().endswith(b"%%EOF")
    assert b"/FontFile2" in body  # the CJK TrueType font is embedded, so Chinese shows
    assert body.count(b"/Type /Page\n") + body.count(b"/Type /Page ") >= 1


def test_pdf_without_a_cjk_font_says_so(sample_report, monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(pdf, "CJK_FONTS", (tmp_path / "missing.ttf",))
    with pytest.raises(pdf.NoFont, match="fonts-droid-fallback"):
        pdf.report_pdf(report_view(sample_report))


def test_pdf_cache_makes_each_report_once_and_forgets_the_oldest(sample_report) -> None:
    made: list[int] = []

    def make(r) -> bytes:
        made.append(r.id)
        return f"%PDF report {r.id}".encode()

    cache = pdf.ReportPDFCache(size=1, make=make)
    first, second = report_view(sample_report), report_view({**sample_report, "id": 8})
    assert cache.get(first) == cache.get(first) == b"%PDF report 7"
    assert made == [7]  # made once, then served from the cache
    cache.warm(second)
    cache.warm(second)
    assert cache.get(first) == b"%PDF report 7"
    assert made == [7, 8, 7]  # size 1: the second pushed the first out


def test_warming_without_fonts_leaves_the_error_for_the_download(sample_report) -> None:
    def make(r) -> bytes:
        raise pdf.NoFont("缺少字体")

    cache = pdf.ReportPDFCache(make=make)
    cache.warm(report_view(sample_report))  # a background task: no exception escapes
    with pytest.raises(pdf.NoFont):
        cache.get(report_view(sample_report))


def test_the_outcome_models_notes_and_the_sources_read_in_chinese() -> None:
    from app.web.report import note_words
    from valuation.comparables import source_name

    own = note_words("too little own history (0 finished rounds, 30 needed with both sales …")
    assert own.startswith("本平台已结束的拍卖仅 0 场（需至少 30 场")
    city = note_words("too little sold history for 潮州市 (3 lots, 20 needed): proposed start …")
    assert city.startswith("潮州市的成交记录仅 3 件（需至少 20 件）") and "第十条" in city
    assert note_words("something new the model says") == "模型所依据的数据不足，此项结果仅供参考"
    assert note_words("已是中文的说明") == "已是中文的说明"
    assert source_name("beike_gz") == "贝壳找房（广州）"
    assert source_name("lianjia") == "链家"
    assert source_name("whatever") == "公开挂牌数据"
