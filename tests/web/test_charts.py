"""Chart geometry: scales, ticks and the four charts, checked on their pixel positions."""

from decimal import Decimal

import pytest

from app.web import charts


def test_nice_ticks_cover_the_range_with_round_steps() -> None:
    assert charts.nice_ticks(0, 100) == [0, 20, 40, 60, 80, 100]
    assert charts.nice_ticks(0.71, 1.32) == pytest.approx([0.6, 0.8, 1.0, 1.2, 1.4])
    ticks = charts.nice_ticks(3_180_000, 4_020_000)
    assert ticks[0] <= 3_180_000 and ticks[-1] >= 4_020_000
    assert charts.nice_ticks(5, 5)[0] <= 5 <= charts.nice_ticks(5, 5)[-1]


def test_scale_maps_ends_and_inverts_for_svg_y() -> None:
    s = charts.Scale(0, 10, 300, 20)  # y grows downward in SVG
    assert s(0) == 300 and s(10) == 20 and s(Decimal("5")) == 160


def test_interval_bar_orders_outer_inner_and_point() -> None:
    bar = charts.interval_bar(
        Decimal("3500000"),
        "模型估价",
        (Decimal("3000000"), Decimal("4000000")),
        inner=(Decimal("3200000"), Decimal("3800000")),
        marks=[(Decimal("3600000"), "京东")],
    )
    lo, hi = bar.outer
    assert lo < bar.inner[0] < bar.point < bar.inner[1] < hi
    assert bar.point == pytest.approx((lo + hi) / 2, abs=0.2)
    assert bar.point < bar.marks[0][0] < bar.inner[1]
    assert all(t.text.endswith("万") for t in bar.ticks)


def test_scatter_puts_bigger_values_right_and_up() -> None:
    chart = charts.scatter([(60, 30000, "a"), (120, 50000, "b")], subject=(89, 41000, "本标的"))
    a, b = chart.dots
    assert a.x < chart.subject.x < b.x
    assert a.y > chart.subject.y > b.y  # higher unit price is drawn higher (smaller y)
    with pytest.raises(ValueError):
        charts.scatter([])


def test_outcome_curve_marks_the_proposal_and_the_floor() -> None:
    ratios = [Decimal("0.70"), Decimal("0.80"), Decimal("0.90"), Decimal("1.00")]
    curve = charts.outcome_curve(
        ratios,
        [Decimal("0.80"), Decimal("0.86"), Decimal("0.84"), Decimal("0.75")],
        chance=[Decimal("0.95"), Decimal("0.9"), Decimal("0.8"), Decimal("0.6")],
        chosen_ratio=Decimal("0.80"),
        floor_ratio=Decimal("0.70"),
    )
    assert curve.path.startswith("M") and curve.path.count("L") == 3
    second = curve.path.split(" L")[1]  # the 80% point of the expected-recovery line
    assert f"{curve.chosen[0]},{curve.chosen[1]}" == second
    assert curve.floor_x < curve.chosen[0]
    with pytest.raises(ValueError):
        charts.outcome_curve([Decimal("0.7")], [])


def test_ratio_strips_one_row_per_group_with_median() -> None:
    plot = charts.ratio_strips(
        {
            "住宅用房·一拍": [Decimal("0.9"), Decimal("1.1"), Decimal("1.3")],
            "车位·二拍": [0.7],
            "空": [],
        }
    )
    assert [r.label for r in plot.rows] == ["住宅用房·一拍", "车位·二拍"]
    first = plot.rows[0]
    assert first.count == 3 and first.median_text == "110.0%"
    assert first.median_x > plot.reference_x > plot.rows[1].median_x
    with pytest.raises(ValueError):
        charts.ratio_strips({"空": []})


def test_index_line_draws_years_left_to_right_and_marks_the_valuation_date() -> None:
    series = [(2016.25, 73.1, "2016"), (2021.25, 112.0, "2021"), (2025.25, 100.0, "2025")]
    chart = charts.index_line(series, as_of=(2026.9, 100.0, "估价时点"))
    a, b, c = chart.dots
    assert a.x < b.x < c.x < chart.as_of.x  # the date after the data, drawn after it
    assert b.y < c.y < a.y  # a higher index is drawn higher (smaller y)
    assert chart.as_of.y == chart.base_y == c.y  # 100 = the latest half-year
    assert [t.text for t in chart.x_ticks][:2] == ["2016", "2018"]
    assert chart.path.count("L") == 2
    alone = charts.index_line([(2025.25, 100.0, "2025")])  # one half-year: still a chart
    assert alone.as_of is None and alone.x_ticks[0].at < alone.dots[0].x
    with pytest.raises(ValueError):
        charts.index_line([])
