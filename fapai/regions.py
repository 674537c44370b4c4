"""Gazetteer: the cities and districts a listing or a lot may name.

Canonical names are the official ones with their suffix (``广州市``, ``天河区``, ``台山市``);
short forms (``广州``, ``天河``), pinyin (``futian``) and former names (``萝岗区``) are accepted
and normalised. Dongguan and Zhongshan have no districts: their towns and sub-districts
(镇/街道) stand in for districts, as the courts' and the platforms' listings use them.
"""

from __future__ import annotations

import re
import unicodedata

_GD: dict[str, str] = {
    "广州市": "越秀区 海珠区 荔湾区 天河区 白云区 黄埔区 番禺区 花都区 南沙区 从化区 增城区",
    "深圳市": "福田区 罗湖区 南山区 盐田区 宝安区 龙岗区 龙华区 坪山区 光明区 大鹏新区",
    "佛山市": "禅城区 南海区 顺德区 三水区 高明区",
    "珠海市": "香洲区 斗门区 金湾区",
    "东莞市": (
        "莞城街道 南城街道 东城街道 万江街道 松山湖 石碣镇 石龙镇 茶山镇 石排镇 企石镇 横沥镇 "
        "桥头镇 谢岗镇 东坑镇 常平镇 寮步镇 樟木头镇 大朗镇 黄江镇 清溪镇 塘厦镇 凤岗镇 "
        "大岭山镇 长安镇 虎门镇 厚街镇 沙田镇 道滘镇 洪梅镇 麻涌镇 望牛墩镇 中堂镇 高埗镇"
    ),
    "中山市": (
        "石岐街道 东区街道 西区街道 南区街道 五桂山街道 中山港街道 民众街道 南朗街道 "
        "黄圃镇 南头镇 东凤镇 阜沙镇 小榄镇 东升镇 古镇镇 横栏镇 三角镇 港口镇 大涌镇 "
        "沙溪镇 三乡镇 板芙镇 神湾镇 坦洲镇 火炬开发区"
    ),
    "惠州市": "惠城区 惠阳区 博罗县 惠东县 龙门县 大亚湾区 仲恺区",
    "江门市": "蓬江区 江海区 新会区 台山市 开平市 鹤山市 恩平市",
    "汕头市": "金平区 龙湖区 濠江区 潮阳区 潮南区 澄海区 南澳县",
    "湛江市": "赤坎区 霞山区 坡头区 麻章区 遂溪县 徐闻县 廉江市 雷州市 吴川市",
    "肇庆市": "端州区 鼎湖区 高要区 广宁县 怀集县 封开县 德庆县 四会市",
    "清远市": "清城区 清新区 佛冈县 阳山县 连山壮族瑶族自治县 连南瑶族自治县 英德市 连州市",
    "韶关市": "武江区 浈江区 曲江区 始兴县 仁化县 翁源县 乳源瑶族自治县 新丰县 乐昌市 南雄市",
    "茂名市": "茂南区 电白区 高州市 化州市 信宜市",
    "揭阳市": "榕城区 揭东区 揭西县 惠来县 普宁市",
    "梅州市": "梅江区 梅县区 大埔县 丰顺县 五华县 平远县 蕉岭县 兴宁市",
    "汕尾市": "城区 海丰县 陆河县 陆丰市",
    "河源市": "源城区 紫金县 龙川县 连平县 和平县 东源县",
    "阳江市": "江城区 阳东区 阳西县 阳春市",
    "潮州市": "湘桥区 潮安区 饶平县",
    "云浮市": "云城区 云安区 新兴县 郁南县 罗定市",
}
_OTHER: dict[str, str] = {
    # Only for the Beijing raw-string sample the normaliser is tested on.
    "北京市": (
        "东城区 西城区 朝阳区 海淀区 丰台区 石景山区 门头沟区 房山区 通州区 顺义区 昌平区 "
        "大兴区 怀柔区 平谷区 密云区 延庆区"
    ),
}

CITIES: dict[str, tuple[str, ...]] = {
    city: tuple(names.split()) for city, names in {**_GD, **_OTHER}.items()
}
GUANGDONG_CITIES: tuple[str, ...] = tuple(_GD)

# Former names and platform spellings → canonical (city, district).
_DISTRICT_ALIASES: dict[str, tuple[str, str]] = {
    "萝岗区": ("广州市", "黄埔区"),
    "广州开发区": ("广州市", "黄埔区"),
    "大鹏区": ("深圳市", "大鹏新区"),
    "大鹏": ("深圳市", "大鹏新区"),
    "横琴新区": ("珠海市", "香洲区"),
    "石岐区": ("中山市", "石岐街道"),
    "东区": ("中山市", "东区街道"),
    "西区": ("中山市", "西区街道"),
    "南区": ("中山市", "南区街道"),
}
_PINYIN: dict[str, tuple[str, str]] = {
    "futian": ("深圳市", "福田区"),
    "luohu": ("深圳市", "罗湖区"),
    "nanshan": ("深圳市", "南山区"),
    "yantian": ("深圳市", "盐田区"),
    "baoan": ("深圳市", "宝安区"),
    "longgang": ("深圳市", "龙岗区"),
    "longhua": ("深圳市", "龙华区"),
    "pingshan": ("深圳市", "坪山区"),
    "guangming": ("深圳市", "光明区"),
    "dapeng": ("深圳市", "大鹏新区"),
    "yuexiu": ("广州市", "越秀区"),
    "haizhu": ("广州市", "海珠区"),
    "liwan": ("广州市", "荔湾区"),
    "tianhe": ("广州市", "天河区"),
    "baiyun": ("广州市", "白云区"),
    "huangpu": ("广州市", "黄埔区"),
    "panyu": ("广州市", "番禺区"),
    "huadu": ("广州市", "花都区"),
    "nansha": ("广州市", "南沙区"),
    "conghua": ("广州市", "从化区"),
    "zengcheng": ("广州市", "增城区"),
}
_CITY_PINYIN = {
    "gz": "广州市",
    "guangzhou": "广州市",
    "sz": "深圳市",
    "shenzhen": "深圳市",
    "fs": "佛山市",
    "foshan": "佛山市",
    "dg": "东莞市",
    "dongguan": "东莞市",
    "zh": "珠海市",
    "zhuhai": "珠海市",
    "zs": "中山市",
    "zhongshan": "中山市",
    "hz": "惠州市",
    "huizhou": "惠州市",
    "jm": "江门市",
    "jiangmen": "江门市",
    "st": "汕头市",
    "shantou": "汕头市",
    "zj": "湛江市",
    "zhanjiang": "湛江市",
    "bj": "北京市",
    "beijing": "北京市",
}
_SUFFIXES = ("新区", "街道", "区", "县", "市", "镇")


def _clean(name: str | None) -> str:
    if name is None:
        return ""
    s = unicodedata.normalize("NFKC", str(name))
    return re.sub(r"\s+", "", s)


def _short(name: str) -> str:
    for suf in _SUFFIXES:
        if name.endswith(suf) and len(name) > len(suf) + 1:
            return name[: -len(suf)]
    return name


_CITY_BY_SHORT = {_short(c): c for c in CITIES}
_DISTRICT_BY_SHORT: dict[str, dict[str, str]] = {
    city: {_short(d): d for d in districts} for city, districts in CITIES.items()
}


def normalize_city(name: str | None) -> str | None:
    """Canonical city name (``广州`` → ``广州市``), or None if unknown."""
    s = _clean(name)
    if not s:
        return None
    if s.lower() in _CITY_PINYIN:
        return _CITY_PINYIN[s.lower()]
    s = s.removeprefix("广东省")
    if s in CITIES:
        return s
    # "广州市广州市", "广州市天河区" and the like: take the first known city prefix.
    for short, city in _CITY_BY_SHORT.items():
        if s.startswith(short):
            return city
    return None


def normalize_district(city: str | None, district: str | None) -> tuple[str, str] | None:
    """Canonical (city, district), or None if the pair is unknown.

    ``city`` may be None when the district alone is unambiguous (pinyin or an alias).
    """
    d = _clean(district)
    if not d:
        return None
    if d.lower() in _PINYIN:
        pc, pd = _PINYIN[d.lower()]
        c = normalize_city(city) if city else pc
        return (pc, pd) if c == pc else None
    c = normalize_city(city)
    if d in _DISTRICT_ALIASES:
        ac, ad = _DISTRICT_ALIASES[d]
        if c in (None, ac):
            return ac, ad
    if c is None:
        return None
    table = _DISTRICT_BY_SHORT[c]
    if d in CITIES[c]:
        return c, d
    short = _short(d.removeprefix(_short(c)).removeprefix("市") or d)
    if short in table:
        return c, table[short]
    if _short(d) in table:
        return c, table[_short(d)]
    return None


def districts_of(city: str) -> tuple[str, ...]:
    c = normalize_city(city)
    return CITIES.get(c, ()) if c else ()
