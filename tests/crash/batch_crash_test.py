#!/usr/bin/env python3
"""A batch under kill -9 (issue 19): a file of leads runs as a batch; pingpostd is killed with
kill -9 while it runs, several times, and restarted. The batch must resume by itself and finish
with every row accounted for exactly once: rows 1..N once each in its results file, in order,
each with a distinct stored lead; as many leads stored for the campaign as rows (a row stored
after the last checkpoint and sent again on resume gets its first lead's answer, not a second
lead); accepted + duplicated + failed = N.

    python3 tests/crash/batch_crash_test.py [--build build] [--cycles 3] [--rows 1500] [--seed N]

Prints one JSON line (cycles, rows, kills while running, violations); exits 1 on a violation.
"""
import argparse
import csv
import datetime
import http.client
import io
import json
import os
import random
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from crash_test import Engine, ADMIN  # noqa: E402


def call(engine, method, path, body=None, ctype="application/json"):
    c = http.client.HTTPConnection("127.0.0.1", engine.port, timeout=30)
    headers = {"Authorization": "Bearer " + ADMIN}
    if body is not None:
        headers["Content-Type"] = ctype
    c.request(method, path, body=body, headers=headers)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, data


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(os.path.dirname(__file__), "..", "..", "build"))
    ap.add_argument("--cycles", type=int, default=3)
    ap.add_argument("--rows", type=int, default=1500)
    ap.add_argument("--seed", type=int, default=int(time.time()))
    a = ap.parse_args()
    rng = random.Random(a.seed)
    work = tempfile.mkdtemp(prefix="pp-batch-crash-")
    cfg = {"account": {"name": "Crash", "timezone": "UTC"},
           "clients": [{"id": 1, "company": "S"}, {"id": 2, "company": "B"}],
           "api_tokens": [{"name": "admin", "token": ADMIN, "role": "admin"}],
           "jobs": {"batch_rows_per_s": 400, "batch_concurrency": 4},
           "campaigns": [{"id": 1, "name": "C",
                          "fields": [{"name": "email", "type": "email", "required": True},
                                     {"name": "phone", "type": "phone"}],
                          "suppliers": [{"id": 1, "client_id": 1, "lp_key": "k"}],
                          "buyers": [{"id": 1, "client_id": 2, "type": "lead_store",
                                      "price": {"type": "static", "amount": "2"}}]}]}
    cfg_path = os.path.join(work, "config.json")
    with open(cfg_path, "w") as f:
        json.dump(cfg, f)
    engine = Engine(a.build, work, cfg_path, os.path.join(work, "data"))
    figures = {"seed": a.seed, "cycles": a.cycles, "rows": a.rows, "killed_running": 0,
               "violations": []}
    bad = figures["violations"]
    try:
        engine.start()
        rows = ["email,phone"] + [f"row{i}@example.org," for i in range(1, a.rows + 1)]
        status, body = call(engine, "POST", "/admin/uploads?filename=crash.csv",
                            "\n".join(rows) + "\n", "text/csv")
        assert status == 201, body
        upload = json.loads(body)["upload_id"]
        status, body = call(engine, "POST", "/admin/batches",
                            json.dumps({"upload_id": upload, "campaign_id": 1, "supplier_id": 1}))
        assert status == 202, body
        batch = json.loads(body)["batch_id"]
        for _ in range(a.cycles):
            time.sleep(rng.uniform(0.3, 1.2))
            _, body = call(engine, "GET", "/admin/batches/" + batch)
            if json.loads(body)["status"] == "running":
                figures["killed_running"] += 1
            engine.kill9()
            engine.start()
        deadline = time.time() + 120
        b = {}
        while time.time() < deadline:
            _, body = call(engine, "GET", "/admin/batches/" + batch)
            b = json.loads(body)
            if b["status"] not in ("queued", "running"):
                break
            time.sleep(0.1)
        if b.get("status") != "completed":
            bad.append(f"batch ended {b.get('status')}: {b}")
        n = a.rows
        if b.get("rows_done") != n or b.get("rows_total") != n:
            bad.append(f"rows_done {b.get('rows_done')} / rows_total {b.get('rows_total')}, not {n}")
        if b.get("rows_accepted", 0) + b.get("rows_duplicated", 0) + b.get("rows_failed", 0) != n:
            bad.append(f"accepted + duplicated + failed != {n}: {b}")
        if b.get("rows_accepted") != n:
            bad.append(f"rows_accepted {b.get('rows_accepted')}, every row was valid: {n}")
        status, body = call(engine, "GET", f"/admin/batches/{batch}/results")
        results = list(csv.reader(io.StringIO(body.decode())))[1:]
        numbers = [r[0] for r in results]
        if numbers != [str(i) for i in range(1, n + 1)]:
            bad.append(f"results rows are not 1..{n} once each in order "
                       f"({len(numbers)} lines, {len(set(numbers))} distinct)")
        ids = [r[1] for r in results]
        if len(set(ids)) != len(ids) or "" in ids:
            bad.append(f"{len(ids) - len(set(ids))} lead ids repeated or empty in the results")
        today = datetime.datetime.now(datetime.timezone.utc).date()
        span = f"start_date={today - datetime.timedelta(days=1)}&end_date={today + datetime.timedelta(days=1)}"
        _, body = call(engine, "GET", "/public/stats?campaign=1&" + span)
        stats = json.loads(body)
        stored = stats[0]["campaign"]["leads_total"] if stats else 0
        figures["leads_stored"] = stored
        if stored != n:
            bad.append(f"{stored} leads stored for {n} rows")
        for lead in rng.sample(ids, min(50, len(ids))):
            if call(engine, "GET", "/public/lead/" + lead)[0] != 200:
                bad.append(f"result names lead {lead}, not stored")
    except Exception as e:  # noqa: BLE001
        bad.append(f"error: {e!r}")
    finally:
        engine.stop()
    print(json.dumps(figures))
    if not bad:
        shutil.rmtree(work, ignore_errors=True)
    else:
        print("work directory kept: " + work, file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
