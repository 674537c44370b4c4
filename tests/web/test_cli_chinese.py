"""The ``fapai`` command speaks Chinese: every command's ``--help`` (Typer's own panels, usage
line and help option included) and its refusals of a mistyped command line, run through the
real command. The walk fails on any English sentence (the detector of ``test_chinese``). What
is no sentence is left out first: option names, metavars and environment variables (upper
case), type tags, code names, commands quoted in backticks or quotes, paths and file names."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer.main
from typer.testing import CliRunner

from app.cli import app

from .chinese import english

# What a command line shows that is a name, not a sentence.
NAMES = re.compile(
    r"`[^`]*`"  # a command quoted in backticks
    r"|'[^']*'"  # a quoted value, option or command
    r"|<[^>]*>"  # a type tag: <int>, <bool>
    r"|\{[^}]*\}"  # an argument in the usage line: {name}
    r"|(?<![\w-])--?[A-Za-z][\w-]*"  # an option: --as-of, -o
    r"|\b[A-Z][A-Z0-9_]+\b"  # a metavar or an environment variable: OPTIONS, FAPAI_DATABASE_URL
    r"|[\w~-]*(?:[/.:][\w~*-]+)+"  # a path, a file name, a host: models/x.joblib, sf.taobao.com
    r"|\b[a-z0-9]+(?:_[a-z0-9]+)+\b"  # a code name: a spider (sf_taobao), a field (area_m2)
)
WIDE = {"COLUMNS": "200", "TERMINAL_WIDTH": "200"}


def _commands(command, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    yield path
    for name, sub in getattr(command, "commands", {}).items():
        yield from _commands(sub, (*path, name))


COMMANDS = list(_commands(typer.main.get_command(app)))
# A command named in the output: ``fapai`` and the words of its command paths.
_WORDS = "|".join(sorted({w for p in COMMANDS for w in p}, key=len, reverse=True))
COMMAND_LINE = re.compile(rf"\bfapai(?: (?:{_WORDS})\b)*")


def shown_english(output: str) -> list[str]:
    """The English sentences in a command's output, names left out."""
    lines = [NAMES.sub(" ", COMMAND_LINE.sub(" ", line)) for line in output.splitlines()]
    return english(lines, code_names=False)


def test_the_command_line_detector() -> None:
    assert shown_english("Missing option for fapai users add") == ["Missing option for"]
    assert shown_english("用法：fapai users add [OPTIONS] {name}") == []
    assert shown_english("│ --court  TEXT  法院代码（见 `fapai courts add`）。 [默认：gz] │") == []
    assert shown_english("已写出 models/price-1.joblib（2.1 MB）") == []


@pytest.fixture
def fapai(sqlite_url, tmp_path, monkeypatch):
    """``fapai(*args)`` → (exit code, output) of the real command on a fresh SQLite file."""
    from fapai.settings import get_settings

    monkeypatch.setenv("FAPAI_DATABASE_URL", sqlite_url)
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()

    def run(*args: str) -> tuple[int, str]:
        result = CliRunner().invoke(app, list(args), env=WIDE)
        return result.exit_code, result.output

    yield run
    get_settings.cache_clear()


def test_every_help_is_chinese(fapai) -> None:
    assert ("models", "promote") in COMMANDS and ("inquire",) in COMMANDS
    for path in COMMANDS:
        code, output = fapai(*path, "--help")
        assert code == 0, (path, output)
        assert "用法：" in output and "显示本帮助并退出。" in output, output
        found = shown_english(output)
        assert not found, f"fapai {' '.join(path)} --help shows English: {found}"
    _, top = fapai("--help")
    assert "命令" in top and "选项" in top


MISTAKES = [
    (["nosuch"], "没有这个命令"),
    (["users"], "用法："),  # no sub-command: the help
    (["users", "add"], "缺少参数"),
    (["users", "add", "李四"], "缺少选项 '--role'"),
    (["users", "add", "李四", "--role", "judge"], "不是可选值之一"),
    (["courts", "add", "--bogus"], "没有这个选项"),
    (["serve", "--port", "abc"], "应为整数"),
    (["serve", "--workers", "0"], "应不小于 1"),
    (["users", "revoke", "1", "2"], "多余的参数"),
    (["deposits", "import", "no-such.csv", "--court", "X"], "不存在"),
    (["evaluate", "--test-share", "0.9"], "应不大于 0.5"),
    (["crawl"], "请指定爬虫"),
    (["crawl", "lianjia", "--city", "xx"], "未知的城市代码"),
    (["crawl", "--city"], "需要一个值"),
    (["inquire", "--city", "广州", "--area", "89", "--source", "=1"], "应写作 平台=价格"),
    (["models", "promote", "nope"], "没有 price 模型的版本"),
    (["data", "import", "no-such.csv"], "文件不存在"),
    (["appraise", "no-such.csv", "-o", "out.csv"], "文件不存在"),
    (["appraise", "no-such.csv", "-o", "out.csv", "--as-of", "yesterday"], "应为日期"),
    (["train", "--source", "no-such.csv"], "文件不存在"),
    (["train-outcome", "--source", "nowhere"], "应为 db 或 shipped"),
    (["users", "revoke", "999"], "错误："),
]


@pytest.mark.parametrize(("args", "said"), MISTAKES, ids=[" ".join(a) for a, _ in MISTAKES])
def test_every_refusal_is_chinese(fapai, args: list[str], said: str) -> None:
    code, output = fapai(*args)
    assert code != 0 or args == ["users"], output
    assert said in output, output
    assert "Traceback" not in output
    assert not shown_english(output), f"fapai {' '.join(args)} shows English: {output}"


def test_a_command_prints_no_migration_lines(tmp_path) -> None:
    """The schema check every command makes says nothing, even when it migrates a fresh
    database; ``fapai -v`` shows it (a process of its own: logging as the command sets it)."""
    fapai = str(Path(sys.executable).parent / "fapai")

    def run(*args: str, db: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, **WIDE, "FAPAI_DATABASE_URL": f"sqlite:///{tmp_path / db}"}
        return subprocess.run(
            [fapai, *args], env=env, capture_output=True, text=True, timeout=120, check=True
        )

    quiet = run("courts", "add", "GZTH", "广州市天河区人民法院", db="quiet.db")
    assert quiet.stdout == "已创建法院 GZTH 广州市天河区人民法院。\n" and quiet.stderr == ""
    told = run("-v", "courts", "list", db="told.db")
    assert "migrating database" in told.stderr and told.stdout == ""
