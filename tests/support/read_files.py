#!/usr/bin/env python3
"""Reads what pingpost's exports produce with readers independent of the server (issue 19):
`xlsx FILE` prints {"sheets": [{"name", "rows": [[cell text, ...], ...]}]} read with zipfile and
ElementTree from the Office Open XML parts (shared or inline strings, numbers as their text);
`zip FILE` prints {"names": [...], "files": {name: text}} for the archive's members."""
import json
import re
import sys
import zipfile
import xml.etree.ElementTree as ET

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
      "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships"}
REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def col_index(ref):
    letters = re.match(r"[A-Z]+", ref).group(0)
    n = 0
    for ch in letters:
        n = n * 26 + (ord(ch) - 64)
    return n - 1


def text_of(el):
    return "".join(t.text or "" for t in el.iter("{%s}t" % NS["m"]))


def read_xlsx(path):
    z = zipfile.ZipFile(path)
    bad = z.testzip()
    if bad is not None:
        raise SystemExit("corrupt member: %s" % bad)
    shared = []
    if "xl/sharedStrings.xml" in z.namelist():
        root = ET.fromstring(z.read("xl/sharedStrings.xml"))
        shared = [text_of(si) for si in root.findall("m:si", NS)]
    rels = ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target") for r in rels}
    wb = ET.fromstring(z.read("xl/workbook.xml"))
    sheets = []
    for s in wb.find("m:sheets", NS):
        target = targets[s.get(REL)].lstrip("/")
        if not target.startswith("xl/"):
            target = "xl/" + target
        root = ET.fromstring(z.read(target))
        rows = []
        for row in root.iter("{%s}row" % NS["m"]):
            cells = {}
            for c in row.findall("m:c", NS):
                t = c.get("t")
                if t == "inlineStr":
                    v = text_of(c.find("m:is", NS))
                elif t == "s":
                    v = shared[int(c.find("m:v", NS).text)]
                else:
                    v_el = c.find("m:v", NS)
                    v = v_el.text if v_el is not None else ""
                cells[col_index(c.get("r"))] = v
            width = max(cells) + 1 if cells else 0
            rows.append([cells.get(i, "") for i in range(width)])
        sheets.append({"name": s.get("name"), "rows": rows})
    return {"sheets": sheets}


def read_zip(path):
    z = zipfile.ZipFile(path)
    if z.testzip() is not None:
        raise SystemExit("corrupt archive")
    out = {"names": z.namelist(), "files": {}}
    for n in z.namelist():
        if n.endswith(".csv"):
            out["files"][n] = z.read(n).decode("utf-8")
    return out


if __name__ == "__main__":
    kind, path = sys.argv[1], sys.argv[2]
    print(json.dumps(read_xlsx(path) if kind == "xlsx" else read_zip(path)))
