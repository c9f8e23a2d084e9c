#!/usr/bin/env python3
"""Suppression-list uploads under kill -9 (issue 17): a list is replaced by uploads of 200,000
numbers, and pingpostd is killed at a random moment during or just after each upload; after the
restart the list must be one whole upload — every probe of the last acknowledged upload listed and
none of the interrupted one's, or (when the kill came after the switch but before the answer) all
of the interrupted one's and none of the previous — never a mix, never empty. Single entries
acknowledged before a kill are kept.

    python3 tests/crash/lists_crash_test.py [--build build] [--cycles 6] [--seed N]

Prints one JSON line (cycles, uploads acknowledged, outcomes, violations); exits 1 on a violation.
"""
import argparse
import http.client
import json
import os
import random
import shutil
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from crash_test import Engine, ADMIN  # noqa: E402

ROWS = 200000


def numbers(gen):
    # Generation g's numbers: area code 200 + g % 700 (distinct per generation), 200,000 of them.
    area = 200 + gen % 700
    return [f"{area}{200 + i // 10000:03d}{i % 10000:04d}" for i in range(ROWS)]


def upload(port, gen, result):
    body = ("phone\n" + "\n".join(numbers(gen)) + "\n").encode()
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        c.request("PUT", "/admin/lists/1/entries", body=body,
                  headers={"Authorization": "Bearer " + ADMIN, "Content-Type": "text/csv"})
        r = c.getresponse()
        result["status"] = r.status
        result["body"] = r.read()
    except OSError as e:
        result["error"] = str(e)


def listed(engine, number):
    status, body = engine.get(f"/admin/lists/1/entries/{number}")
    if status != 200:
        raise RuntimeError(f"lookup answered {status}: {body[:200]}")
    return (body if isinstance(body, dict) else json.loads(body))["listed"]


def probes(gen, rng):
    ns = numbers(gen)
    return [ns[rng.randrange(len(ns))] for _ in range(25)] + [ns[0], ns[-1]]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(os.path.dirname(__file__), "..", "..", "build"))
    ap.add_argument("--cycles", type=int, default=6)
    ap.add_argument("--seed", type=int, default=int(time.time()))
    a = ap.parse_args()
    rng = random.Random(a.seed)
    work = tempfile.mkdtemp(prefix="pp-lists-crash-")
    cfg = {"account": {"name": "Crash", "timezone": "UTC"},
           "clients": [{"id": 1, "company": "S"}],
           "api_tokens": [{"name": "admin", "token": ADMIN, "role": "admin"}],
           "lists": [{"id": 1, "name": "DNC", "kind": "phone"}],
           "campaigns": [{"id": 1, "name": "C", "fields": [{"name": "phone", "type": "phone"}],
                          "checks": [{"type": "suppression", "lists": [1]}],
                          "suppliers": [{"id": 1, "client_id": 1, "lp_key": "k"}]}]}
    cfg_path = os.path.join(work, "config.json")
    with open(cfg_path, "w") as f:
        json.dump(cfg, f)
    engine = Engine(a.build, work, cfg_path, os.path.join(work, "data"))
    figures = {"seed": a.seed, "cycles": a.cycles, "acknowledged": 0, "old_kept": 0,
               "new_whole": 0, "violations": []}
    try:
        engine.start()
        current = 0
        r = {}
        upload(engine.port, current, r)
        if r.get("status") != 200:
            raise RuntimeError(f"first upload failed: {r}")
        figures["acknowledged"] += 1
        singles = []
        for cycle in range(1, a.cycles + 1):
            # One single entry, acknowledged before the kill: it must survive (a replace drops it).
            single = f"{900 - cycle}5550{cycle:03d}"
            c = http.client.HTTPConnection("127.0.0.1", engine.port, timeout=30)
            c.request("PUT", f"/admin/lists/1/entries/{single}",
                      headers={"Authorization": "Bearer " + ADMIN})
            assert c.getresponse().status == 200
            singles.append(single)
            nxt = cycle
            r = {}
            t = threading.Thread(target=upload, args=(engine.port, nxt, r))
            t.start()
            time.sleep(rng.uniform(0.05, 0.8))
            engine.kill9()
            t.join()
            acknowledged = r.get("status") == 200
            engine.start()
            old = [listed(engine, n) for n in probes(current, rng)]
            new = [listed(engine, n) for n in probes(nxt, rng)]
            if all(new) and not any(old):
                figures["new_whole"] += 1
                current = nxt
                singles = []  # the replace took the single entries with it
            elif all(old) and not any(new) and not acknowledged:
                figures["old_kept"] += 1
                # The single entries acknowledged since the last whole upload are still there.
                for s in singles:
                    if not listed(engine, s):
                        figures["violations"].append(f"cycle {cycle}: single entry {s} lost")
            else:
                figures["violations"].append(
                    f"cycle {cycle}: a mix (old {sum(old)}/{len(old)}, new {sum(new)}/{len(new)},"
                    f" acknowledged {acknowledged})")
            figures["acknowledged"] += int(acknowledged)
            print(f"cycle {cycle}/{a.cycles}: upload {'acknowledged' if acknowledged else 'cut'}, "
                  f"list is generation {current}", flush=True)
    finally:
        engine.stop()
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(figures))
    sys.exit(1 if figures["violations"] else 0)


if __name__ == "__main__":
    main()
