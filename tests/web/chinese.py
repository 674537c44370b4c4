"""The English detector the Chinese walks share (the pages' in ``test_chinese``, the command
line's in ``test_cli_chinese``): an English sentence is two or more ASCII words in a row; a code
name is snake_case. Names like PDF, API, ID are no sentence (the allow-list)."""

from __future__ import annotations

import re

# Names and units that are no sentence: the brand, formats, standards, units, currency.
ALLOWED = {
    "fapai",
    "pdf",
    "api",
    "id",
    "gb",
    "spc",
    "svg",
    "csv",
    "json",
    "http",
    "https",
    "url",
    "m",
}
WORDS = re.compile(r"[A-Za-z][A-Za-z'’-]*")
ASCII_RUN = re.compile(r"[A-Za-z][\x20-\x7e]*[A-Za-z]")
CODE_NAME = re.compile(r"\b[a-z]+_[a-z_]+\b")


def english(texts: list[str], code_names: bool = True) -> list[str]:
    """The English sentences (and, with ``code_names``, the code names) in ``texts``."""
    found = []
    for text in texts:
        if code_names:
            found += CODE_NAME.findall(text)
        for run in ASCII_RUN.findall(text):
            words = [w for w in WORDS.findall(run) if w.lower() not in ALLOWED and len(w) > 1]
            if len(words) >= 2 and run not in found:
                found.append(run)
    return found
