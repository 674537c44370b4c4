"""The shipped administrative-division tables (GB/T 2260) that :mod:`fapai.regions` reads.

``divisions.csv`` and ``towns.csv`` are derived by ``derive.py``; ``aliases.csv`` is kept by
hand; ``CARD.md`` says where every row came from and when.
"""

from __future__ import annotations

import re

_ADMIN_SUFFIXES = (
    "特别行政区",
    "维吾尔自治区",
    "壮族自治区",
    "回族自治区",
    "自治区",
    "自治县",
    "自治旗",
    "自治州",
    "新区",
    "林区",
    "特区",
    "地区",
    "街道",
    "省",
    "区",
    "县",
    "市",
    "旗",
    "盟",
    "镇",
    "乡",
)
# Nationalities named in autonomous divisions (连山壮族瑶族自治县 → 连山).
_NATIONALITIES = [
    "蒙古",
    "回",
    "藏",
    "维吾尔",
    "苗",
    "彝",
    "壮",
    "布依",
    "朝鲜",
    "满",
    "侗",
    "瑶",
    "白",
    "土家",
    "哈尼",
    "哈萨克",
    "傣",
    "黎",
    "傈僳",
    "佤",
    "畲",
    "高山",
    "拉祜",
    "水",
    "东乡",
    "纳西",
    "景颇",
    "柯尔克孜",
    "土",
    "达斡尔",
    "仫佬",
    "羌",
    "布朗",
    "撒拉",
    "毛南",
    "仡佬",
    "锡伯",
    "阿昌",
    "普米",
    "塔吉克",
    "怒",
    "乌孜别克",
    "俄罗斯",
    "鄂温克",
    "德昂",
    "保安",
    "裕固",
    "京",
    "塔塔尔",
    "独龙",
    "鄂伦春",
    "赫哲",
    "门巴",
    "珞巴",
    "基诺",
    "各",
]
_NATIONALITY_RE = re.compile(
    "(?:" + "|".join(sorted(_NATIONALITIES, key=len, reverse=True)) + ")族$"
)


def short_name(name: str) -> str:
    """The name without its level suffix and nationalities: ``天河区`` → ``天河``.

    At least two characters stay (``城区`` stays ``城区``; ``东区街道`` → ``东区``).
    """
    for suf in _ADMIN_SUFFIXES:
        if name.endswith(suf) and len(name) >= len(suf) + 2:
            name = name[: -len(suf)]
            break
    while (m := _NATIONALITY_RE.search(name)) and m.start() >= 2:
        name = name[: m.start()]
    return name
