"""Polite defaults, run settings (feeds, Redis) and the command's errors in words."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import app
from crawlers import sites
from crawlers.run import CrawlSetupError, crawl_settings, parse_overrides, spider_names


def test_polite_by_default() -> None:
    s = crawl_settings(database_url=None)
    assert s.getbool("ROBOTSTXT_OBEY") and s.getbool("AUTOTHROTTLE_ENABLED")
    assert s.getint("CONCURRENT_REQUESTS_PER_DOMAIN") == 2
    assert s.getbool("RETRY_ENABLED") and 429 in s.getlist("RETRY_HTTP_CODES")
    assert s["USER_AGENT"].startswith("fapai-crawler/")
    assert not s.getbool("HTTPCACHE_ENABLED")
    assert crawl_settings(database_url=None, cache=True).getbool("HTTPCACHE_ENABLED")
    assert "scrapy_redis" not in str(s.get("SCHEDULER"))


def test_feeds_redis_and_overrides() -> None:
    s = crawl_settings(
        database_url="sqlite:///x.db",
        output=Path("out.csv"),
        redis_url="redis://h:6379/0",
        crawl_id="c1",
        overrides=parse_overrides(["DOWNLOAD_DELAY=0"]),
    )
    assert s.getdict("FEEDS") == {
        "out.csv": {"format": "csv", "encoding": "utf-8", "overwrite": True}
    }
    assert s["SCHEDULER"] == "scrapy_redis.scheduler.Scheduler"
    assert s["DUPEFILTER_CLASS"] == "scrapy_redis.dupefilter.RFPDupeFilter"
    assert s["SCHEDULER_QUEUE_KEY"] == "c1:%(spider)s:requests" and s.getbool("SCHEDULER_PERSIST")
    assert s.getfloat("DOWNLOAD_DELAY") == 0
    with pytest.raises(CrawlSetupError, match="输出格式"):
        crawl_settings(database_url=None, output=Path("out.xlsx"))
    with pytest.raises(CrawlSetupError, match="名称=值"):
        parse_overrides(["DOWNLOAD_DELAY"])


def test_rebase_keeps_the_real_path() -> None:
    real = "https://gz.lianjia.com/ershoufang/tianhe/pg2/?x=1"
    assert sites.rebase(real, None) == real
    assert (
        sites.rebase(real, "http://127.0.0.1:8123")
        == "http://127.0.0.1:8123/ershoufang/tianhe/pg2/?x=1"
    )
    assert (
        sites.rebase(real, "http://mirror/lianjia/")
        == "http://mirror/lianjia/ershoufang/tianhe/pg2/?x=1"
    )


def test_spiders_and_command_errors_in_words() -> None:
    assert spider_names() == ["anjuke", "ke", "lianjia", "sf_taobao"]
    runner = CliRunner()
    listed = runner.invoke(app, ["crawl", "--list"])
    assert listed.exit_code == 0 and listed.output.split() == spider_names()
    for args, words in [
        (["crawl", "nosuch"], "没有爬虫 'nosuch'"),
        (["crawl", "lianjia", "--city", "xx"], "未知的城市代码 'xx'"),
        (["crawl", "lianjia", "--base-url", "ftp://x"], "应为 http(s) 地址"),
        (["crawl", "lianjia", "-o", "out.xlsx"], "无法判断 out.xlsx 的输出格式"),
    ]:
        result = runner.invoke(app, args)
        assert result.exit_code == 2, result.output
        assert words in " ".join(result.output.split())


def test_crawler_city_codes_come_from_one_table_of_gazetteer_cities():
    from crawlers import sites
    from fapai.regions import normalize_city

    assert sites.city("wh").name == "武汉市" and sites.city("cd").anjuke == "chengdu"
    for code, city in sites.CITIES.items():
        assert city.code == code and normalize_city(city.name) == city.name
