"""The ``fapai`` command's own chrome in Chinese: Typer's help panels, its usage line and the
errors it prints for a mistyped command line.

Typer (0.29, which carries its own copy of click) words these in English: the panel titles and
tags are module constants of :mod:`typer.rich_utils`, set here; the rest (``Usage:``, the help
option's ``Show this message and exit.``, the completion options, the usage errors) is put into
Chinese at the few points where Typer builds it. :func:`speak_chinese` does all of it once, for
the whole process; ``app.cli`` calls it as it assembles the command. Messages fapai's own
commands print are Chinese where they are written.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import typer
import typer.main
from typer import rich_utils
from typer._click import core as click_core
from typer._click import exceptions as click_exceptions
from typer._click.formatting import HelpFormatter

USAGE = "用法："
HELP_OPTION = "显示本帮助并退出。"
COMPLETION = {
    "--install-completion": "为当前 shell 安装命令补全。",
    "--show-completion": "显示当前 shell 的命令补全脚本，可复制或自行安装。",
}
PANEL_TEXTS = {
    "DEPRECATED_STRING": "（已弃用）",
    "DEFAULT_STRING": "[默认：{}]",
    "ENVVAR_STRING": "[环境变量：{}]",
    "REQUIRED_LONG_STRING": "[必填]",
    "ARGUMENTS_PANEL_TITLE": "参数",
    "OPTIONS_PANEL_TITLE": "选项",
    "COMMANDS_PANEL_TITLE": "命令",
    "ERRORS_PANEL_TITLE": "错误",
    "ABORTED_TEXT": "已中止。",
    "RICH_HELP": "运行 [blue]'{command_path} {help_option}'[/] 查看帮助。",
}

# What Typer and pydantic say of a bad value (the message inside "Invalid value for …"),
# pattern → Chinese (named groups kept). Anything not listed is shown as it came.
VALUE_MESSAGES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p, re.S), zh)
    for p, zh in [
        (r"^Value error, (?P<rest>.*)$", "{rest}"),
        (
            r"^(?P<value>'.*') is not one of (?P<choices>.*?)\.?$",
            "{value} 不是可选值之一：{choices}",
        ),
        (r"^Input should be a valid integer.*$", "应为整数"),
        (r"^Input should be a valid number.*$", "应为数字"),
        (r"^Input should be a valid boolean.*$", "应为是或否（true/false）"),
        (r"^Input should be a valid date.*$", "应为日期，如 2024-06-30"),
        (r"^Input should be greater than or equal to (?P<n>\S+?)\.?$", "应不小于 {n}"),
        (r"^Input should be greater than (?P<n>\S+?)\.?$", "应大于 {n}"),
        (r"^Input should be less than or equal to (?P<n>\S+?)\.?$", "应不大于 {n}"),
        (r"^Input should be less than (?P<n>\S+?)\.?$", "应小于 {n}"),
        (r"(?i)^(?:file|directory|path) (?P<path>'.*') does not exist\.$", "{path} 不存在"),
        (r"(?i)^(?:file|directory|path) (?P<path>.*) is a directory\.$", "{path} 是目录，应为文件"),
        (r"(?i)^(?:file|directory|path) (?P<path>.*) is a file\.$", "{path} 是文件，应为目录"),
        (r"(?i)^(?:file|directory|path) (?P<path>.*) is not readable\.$", "{path} 无法读取"),
        (r"(?i)^(?:file|directory|path) (?P<path>.*) is not writable\.$", "{path} 无法写入"),
        (r"^Value (?P<value>.*) is not a valid (?P<kind>\w+)\.$", "{value} 不是有效的 {kind} 值"),
        (r"^Value must be an iterable\.$", "应为多个值"),
    ]
]

# Whole usage errors (no parameter attached), pattern → Chinese.
USAGE_MESSAGES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p, re.S), zh)
    for p, zh in [
        (r"^No such option: (?P<name>\S+)$", "没有这个选项：{name}"),
        (r"^No such command (?P<name>.*)\.$", "没有这个命令：{name}"),
        (r"^Missing command\.$", "缺少命令。"),
        (r"^Got unexpected extra argument\(s\) \((?P<args>.*)\)$", "多余的参数：{args}"),
        (r"^Option (?P<name>.*) requires an argument\.$", "选项 {name} 需要一个值。"),
        (r"^Option (?P<name>.*) requires (?P<n>\d+) arguments\.$", "选项 {name} 需要 {n} 个值。"),
        (r"^Option (?P<name>.*) does not take a value\.$", "选项 {name} 不接受值。"),
        (r"^Argument (?P<name>.*) takes (?P<n>\d+) values\.$", "参数 {name} 需要 {n} 个值。"),
    ]
]


def _translated(message: str, table: list[tuple[re.Pattern[str], str]]) -> str:
    for pattern, zh in table:
        found = pattern.match(message.strip())
        if found:
            groups = {
                k: _translated(v, table) if k == "rest" else v for k, v in found.groupdict().items()
            }
            return zh.format(**groups)
    return message


def _hint(exc: click_exceptions.BadParameter) -> str | None:
    if exc.param_hint is not None:
        return click_exceptions._join_param_hints(exc.param_hint)
    if exc.param is not None:
        return exc.param.get_error_hint().replace("(env var:", "（环境变量：")
    return None


def error_message(exc: click_exceptions.ClickException) -> str:
    """The Chinese sentence for a usage error Typer raised."""
    if isinstance(exc, click_exceptions.MissingParameter):
        hint = _hint(exc)
        kind = exc.param_type or (exc.param.param_type_name if exc.param else "")
        what = {"option": "选项", "argument": "参数"}.get(kind, "参数")
        text = f"缺少{what} {hint}。" if hint else f"缺少{what}。"
        choices = exc.param.get_missing_message(exc.ctx) if exc.param is not None else ""
        if choices:
            shown = [repr(c.strip(",\t ")) for c in choices.splitlines()[1:]]
            text += "可选：" + "、".join(shown)
        return text
    if isinstance(exc, click_exceptions.NoSuchOption):
        text = f"没有这个选项：{exc.option_name}"
        if exc.possibilities:
            text += f"（是否想用：{', '.join(sorted(exc.possibilities))}）"
        return text
    if isinstance(exc, click_exceptions.BadParameter):
        hint = _hint(exc)
        message = _translated(exc.message, VALUE_MESSAGES)
        return f"{hint} 的值无效：{message}" if hint else f"取值无效：{message}"
    return _translated(exc.format_message(), USAGE_MESSAGES)


class _ChineseMessage:
    """The exception as :func:`typer.rich_utils.rich_format_error` reads it, message in
    Chinese (its usage line and help hint unchanged)."""

    def __init__(self, exc: click_exceptions.ClickException) -> None:
        self._exc = exc
        self.ctx = getattr(exc, "ctx", None)

    def format_message(self) -> str:
        return error_message(self._exc)


class ChineseHelpFormatter(HelpFormatter):
    """Click's help formatter with the usage line prefixed ``用法：``."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, USAGE if prefix is None else prefix)


def _wrap(original: Callable[..., Any], after: Callable[[Any], Any]) -> Callable[..., Any]:
    if getattr(original, "_fapai_chinese", False):
        return original

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        return after(original(*args, **kwargs))

    wrapped._fapai_chinese = True  # type: ignore[attr-defined]
    return wrapped


def _help_in_chinese(option: Any) -> Any:
    if option is not None:
        option.help = HELP_OPTION
    return option


def _completion_in_chinese(params: tuple[Any, ...]) -> tuple[Any, ...]:
    for param in params:
        param.help = COMPLETION.get(param.opts[0], param.help)
    return params


def speak_chinese() -> None:
    """Put Typer's chrome into Chinese for this process (idempotent)."""
    for name, text in PANEL_TEXTS.items():
        setattr(rich_utils, name, text)
    rich_utils.highlighter.highlights = [
        h.replace("Usage: ", USAGE) for h in rich_utils.highlighter.highlights
    ]
    click_core.Context.formatter_class = ChineseHelpFormatter
    click_core.Command.get_help_option = _wrap(click_core.Command.get_help_option, _help_in_chinese)
    typer.main.get_install_completion_arguments = _wrap(
        typer.main.get_install_completion_arguments, _completion_in_chinese
    )
    original = rich_utils.rich_format_error
    if not getattr(original, "_fapai_chinese", False):

        def rich_format_error(exc: click_exceptions.ClickException) -> None:
            if type(exc).__name__ == "NoArgsIsHelpError":  # help was printed: nothing to add
                return
            original(_ChineseMessage(exc))  # type: ignore[arg-type]

        rich_format_error._fapai_chinese = True  # type: ignore[attr-defined]
        rich_utils.rich_format_error = rich_format_error
