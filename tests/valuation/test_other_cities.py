"""Files from cities beyond Guangdong train and price: any Chinese city, through the gazetteer.

The rows are real shipped Guangzhou listings relabelled as another city's file (the project
ships no Wuhan or Chengdu data): what is tested is that the file's shape trains and prices.
"""

from __future__ import annotations

import pandas as pd
import pytest

from valuation.data import read_listing_file, validate_frame
from valuation.model import NotPriceable

# Guangzhou's districts relabelled as Chengdu's (official names, short as files write them).
CHENGDU = dict(
    zip(
        ["天河区", "越秀区", "海珠区", "荔湾区", "白云区", "黄埔区", "番禺区", "花都区", "南沙区",
         "从化区", "增城区"],
        ["锦江", "青羊", "金牛", "武侯", "成华", "龙泉驿", "双流县", "郫县", "新都", "温江",
         "青白江"],
        strict=True,
    )
)  # fmt: skip


@pytest.fixture(scope="module")
def gz_rows(small_listings) -> pd.DataFrame:
    rows = small_listings[
        (small_listings["city"] == "广州市") & small_listings["bizcircle"].notna()
    ]
    return rows.head(1500).reset_index(drop=True)


def _through_file(frame: pd.DataFrame, path) -> pd.DataFrame:
    frame.to_csv(path, index=False)
    clean, rejected = validate_frame(read_listing_file(path))
    assert not rejected and len(clean) == len(frame)
    return clean


def test_wuhan_style_file_with_business_circles_and_no_district(gz_rows, tmp_path, quick_train):
    wuhan = gz_rows.assign(city="武汉", district=None)
    clean = _through_file(wuhan, tmp_path / "wuhan.csv")
    assert set(clean["city"]) == {"武汉市"} and clean["district"].isna().all()
    model = quick_train(clean).as_price_model()
    circle = clean["bizcircle"].value_counts().index[0]
    estimate = model.estimate({"city": "武汉市", "bizcircle": circle, "area_m2": 90})
    low, high = estimate.interval90
    assert low < estimate.price_total < high
    with pytest.raises(NotPriceable) as info:
        model.estimate({"city": "武汉", "bizcircle": "不存在的商圈", "area_m2": 90})
    assert info.value.field == "bizcircle"


def test_chengdu_file_with_elevator_filled_on_every_row_trains_and_prices(
    gz_rows, tmp_path, quick_train
):
    chengdu = gz_rows.assign(city="成都", district=gz_rows["district"].map(CHENGDU), elevator="有")
    clean = _through_file(chengdu, tmp_path / "chengdu.csv")
    assert clean["elevator"].map(type).eq(bool).all()  # the all-filled column that crashed
    assert {"郫都区", "双流区", "锦江区"} <= set(clean["district"])  # former names → current
    model = quick_train(clean).as_price_model()
    estimate = model.estimate({"city": "成都市", "district": "锦江区", "area_m2": 90})
    assert estimate.price_total > 0 and estimate.inputs["district"] == "锦江区"
    with pytest.raises(NotPriceable) as info:  # a real city without data: no data, not unknown
        model.estimate({"city": "西安", "district": "雁塔", "area_m2": 90})
    assert (info.value.field, info.value.code) == ("city", "no_market_data")
    assert "西安市" in info.value.reason and "没有该地的市场数据" in info.value.reason


def test_fapai_train_on_a_file_fails_with_a_sentence_not_a_traceback(gz_rows, tmp_path):
    from typer.testing import CliRunner

    from app.cli import app

    small = tmp_path / "small.csv"
    gz_rows.head(50).assign(elevator="有", district=None).to_csv(small, index=False)
    result = CliRunner().invoke(app, ["train", "--source", str(small)])
    assert result.exit_code == 1 and "可用的挂牌数据太少" in result.output
    assert "Traceback" not in result.output and result.exception.__class__ is SystemExit
