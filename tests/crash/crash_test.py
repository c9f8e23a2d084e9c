#!/usr/bin/env python3
"""Crash durability (issue 7): load pingpostd at a steady rate, kill -9 it at a random moment,
restart it on the same data directory, and check, after every cycle:

  1. every lead the driver saw acknowledged is readable, with the status it was acknowledged with;
  2. no lead is sold to more than one buyer (exclusive sales);
  3. the capped buyer never went over its cap (leads and budget), by its own sales in the stats
     and by the campaign view's counters;
  4. the ledger (accounting: owed to suppliers, due from buyers) equals the stats totals;
  5. with --changes (issue 14), configuration changes run all along: after the restart the
     configuration is one whole version, the change log ends at it, and no acknowledged change
     is missing.

    python3 tests/crash/crash_test.py [--build build] [--cycles 20] [--rate 150] [--seed N]
                                      [--cap 1500] [--exchange] [--changes]

Loopback only; fake buyers are pp_fakebuyer processes. Prints one JSON line of figures at the end
(cycles, leads acknowledged, lost, oversold, cap overshoot, ledger mismatches) and exits 1 on any
violation.
"""
import argparse
import http.client
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "bench"))
from run_bench import wait_port  # noqa: E402  (the bench runner's: wait until a port answers)
ADMIN = "crash-admin-token"
PRICE_A, PRICE_B = 10, 7
CAP_LEADS = 1500                     # --cap; the budget allows 10% more leads than the count cap
CAP_BUDGET = str(CAP_LEADS * 11)     # so either may be the one that binds


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def config(buyer_a, buyer_b, exchange=False, prepaid=False):
    def buyer(bid, port, priority, price, caps=None):
        b = {"id": bid, "client_id": 2 + bid % 2, "type": "direct_post", "priority": priority,
             "price": {"type": "static", "amount": str(price)},
             "post": {"url": f"http://127.0.0.1:{port}/post", "format": "json", "timeout_ms": 2000,
                      "fields": {"phone": "{{phone}}", "id": "{{lp_lead_id}}"}},
             "post_response": {"format": "json",
                               "accepted": {"path": "status", "equals": ["accepted"]}}}
        if exchange:  # pinged first; the fake buyer bids its fixed price (A 10, B 7)
            b["type"] = "ping_post"
            b["price"] = {"type": "realtime"}
            b["ping"] = {"url": f"http://127.0.0.1:{port}/ping", "format": "json",
                         "timeout_ms": 2000, "fields": {"state": "{{state}}"}}
            b["ping_response"] = {"format": "json",
                                  "accepted": {"path": "status", "equals": ["accepted"]},
                                  "price": "bid"}
        if caps:
            b["caps"] = caps
        return b
    campaign_type = {"type": "ping_post_exchange",
                     "exchange": {"auction_timeout_ms": 500, "network_buffer_ms": 20,
                                  "min_buyer_time_ms": 50}} if exchange else {"type": "direct_post"}
    return {
        "account": {"name": "crash", "timezone": "UTC"},
        "outbound": {"allow_private_networks": True, "breaker_failures": 0},
        "clients": [{"id": 1, "company": "Supplier"}, {"id": 2, "company": "Buyer A"},
                    dict({"id": 3, "company": "Buyer B"},
                         **({"billing": {"mode": "manual"}} if prepaid else {}))],
        "api_tokens": [{"name": "admin", "token": ADMIN, "role": "admin"}],
        "campaigns": [dict(campaign_type, **{
            "id": 1, "name": "Crash",
            "fields": [{"name": "first_name", "required": True},
                       {"name": "phone", "type": "phone", "required": True},
                       {"name": "state", "type": "state", "required": True,
                        "required_on_ping": True}],
            "suppliers": [{"id": 10, "client_id": 1, "lp_key": "crash-supplier-key",
                           "price": {"type": "static", "amount": "4"}}],
            "buyers": [buyer(20, buyer_a, 1, PRICE_A,
                             {"leads": [{"type": "total", "limit": CAP_LEADS}],
                              "budget": [{"type": "total", "limit": CAP_BUDGET}]}),
                       buyer(21, buyer_b, 2, PRICE_B)]})]}


class Engine:
    def __init__(self, build, work, cfg_path, data):
        self.bin = os.path.join(build, "pingpostd")
        self.work, self.cfg, self.data = work, cfg_path, data
        self.proc, self.port = None, None

    def start(self):
        self.port = free_port()
        log = open(os.path.join(self.work, "pingpostd.log"), "ab")
        self.proc = subprocess.Popen([self.bin, "--config", self.cfg, "--data", self.data, "--listen",
                                      f"127.0.0.1:{self.port}", "--threads", "2",
                                      "--log-level", "warn"], stdout=log, stderr=log)
        wait_port(self.port, self.proc)

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(30)

    def get(self, path):
        status, body, _ = self.get_with_etag(path)
        return status, body

    def get_with_etag(self, path):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        c.request("GET", path, headers={"Authorization": "Bearer " + ADMIN})
        r = c.getresponse()
        body = r.read()
        etag = r.getheader("ETag") or ""
        c.close()
        return r.status, json.loads(body) if body else None, etag.strip('"')


def drive(port, rate, stop, acked, seq0, threads=4):
    """Posts leads at `rate`/s over `threads` keep-alive connections until `stop` or an error."""
    lock = threading.Lock()

    def worker(k):
        interval = threads / rate
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        n = 0
        t0 = time.time() + k * interval / threads
        while not stop.is_set():
            due = t0 + n * interval
            delay = due - time.time()
            if delay > 0:
                time.sleep(delay)
            seq = seq0 + k * 10_000_000 + n
            n += 1
            body = json.dumps({"lp_campaign_id": 1, "lp_supplier_id": 10,
                               "lp_key": "crash-supplier-key", "first_name": f"N{seq}",
                               "phone": "212555%04d" % (seq % 10000), "state": "NY",
                               "lp_subid1": str(seq)})
            try:
                conn.request("POST", "/direct_post", body, {"Content-Type": "application/json"})
                r = conn.getresponse()
                answer = json.loads(r.read())
            except (OSError, http.client.HTTPException, ValueError):
                return  # the engine died: whatever was not answered was not acknowledged
            if r.status == 200 and answer.get("lead_id"):
                with lock:
                    acked.append((answer["lead_id"], answer["status"]))

    ts = [threading.Thread(target=worker, args=(k,)) for k in range(threads)]
    for t in ts:
        t.start()
    return ts


def drive_changes(port, stop, acked_changes, cycle):
    """Patches buyer 21 (priority, nickname) over and over until `stop` or an error; keeps the
    (version, nickname) of every change the engine acknowledged."""
    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        n = 0
        while not stop.is_set():
            n += 1
            nick = f"c{cycle}-{n}"
            body = json.dumps({"priority": 2 + n % 50, "nickname": nick})
            try:
                conn.request("PATCH", "/admin/campaigns/1/buyers/21", body,
                             {"Content-Type": "application/json",
                              "Authorization": "Bearer " + ADMIN})
                r = conn.getresponse()
                r.read()
                etag = (r.getheader("ETag") or "").strip('"')
            except (OSError, http.client.HTTPException):
                return
            if r.status == 200 and etag.isdigit():
                acked_changes.append((int(etag), nick))
    t = threading.Thread(target=worker)
    t.start()
    return [t]


def check_changes(engine, acked_changes, figures):
    """After a crash: one whole version, the change log ending at it, nothing acknowledged lost."""
    problems = []
    code, doc, etag = engine.get_with_etag("/admin/config")
    if code != 200 or not etag.isdigit():
        return [f"GET /admin/config answered {code}"]
    head = int(etag)
    figures["config_version"] = head
    figures["changes_acknowledged"] = len(acked_changes)
    if acked_changes and acked_changes[-1][0] > head:
        figures["changes_lost"] += 1
        problems.append(f"change {acked_changes[-1]} acknowledged, configuration at {head}")
    _, log, _ = engine.get_with_etag(f"/admin/changes?since_version={head - 1}")
    entries = (log or {}).get("changes", [])
    if len(entries) != 1 or entries[0].get("version") != head:
        problems.append(f"the change log does not end at version {head}: "
                        f"{[e.get('version') for e in entries]}")
    else:
        buyer = next(b for b in doc["campaigns"][0]["buyers"] if b["id"] == 21)
        after = entries[0].get("after") or {}
        if entries[0].get("entity") == "buyer" and after.get("nickname") != buyer.get("nickname"):
            problems.append(f"version {head}: buyer 21 is {buyer.get('nickname')}, its change "
                            f"says {after.get('nickname')}")
    # Every acknowledged change is in the log, as acknowledged (paged through).
    if acked_changes:
        logged, since = {}, acked_changes[0][0] - 1
        while since is not None:
            _, log, _ = engine.get_with_etag(
                f"/admin/changes?entity=buyer&id=21&since_version={since}&limit=1000")
            for e in log.get("changes", []):
                logged[e["version"]] = (e.get("after") or {}).get("nickname")
            since = log.get("next_since_version")
        missing = [v for v, nick in acked_changes if logged.get(v) != nick]
        if missing:
            figures["changes_lost"] += len(missing)
            problems.append(f"acknowledged changes not in the log as acknowledged: {missing[:5]}")
    return problems


def check(engine, acked, checked_upto, figures):
    problems = []
    # 1 + 2: every acknowledged lead since the last check, with its status; one sale at most.
    for lead_id, status in acked[checked_upto:]:
        code, lead = engine.get(f"/public/lead/{lead_id}")
        if code != 200:
            figures["lost"] += 1
            problems.append(f"acknowledged lead {lead_id} ({status}) not readable: HTTP {code}")
            continue
        if lead.get("status") != status:
            figures["changed"] += 1
            problems.append(f"lead {lead_id} acknowledged {status}, stored {lead.get('status')}")
        sold = sum(1 for b in lead.get("buyers", []) if b.get("status") == "ACCEPTED")
        if sold > 1:
            figures["oversold"] += 1
            problems.append(f"lead {lead_id} sold {sold} times")
    # 3: the capped buyer, by its sales in the stats and by the campaign's counters.
    day = time.strftime("%Y-%m-%d", time.gmtime())
    code, stats = engine.get(f"/public/stats?start_date={day}&end_date={day}&timezone=UTC")
    if code != 200 or not isinstance(stats, list) or not stats:
        return problems + [f"stats answered {code}: {str(stats)[:300]}"]
    camp = stats[0]
    a = next(b for b in camp["buyers"] if b["id"] == 20)
    figures["buyer_a_sold"] = a["leads_accepted"]
    over = max(0, a["leads_accepted"] - CAP_LEADS,
               int((a["total_sell"] - float(CAP_BUDGET)) // PRICE_A + (1 if a["total_sell"] > float(CAP_BUDGET) else 0)))
    figures["cap_overshoot"] = max(figures["cap_overshoot"], over)
    if over:
        problems.append(f"buyer 20 sold {a['leads_accepted']} leads for {a['total_sell']}: cap "
                        f"{CAP_LEADS} leads / {CAP_BUDGET}")
    _, view = engine.get("/public/campaigns/1")
    for b in view.get("buyers", []):
        caps = b.get("caps") if isinstance(b.get("caps"), dict) else {}
        for kind in ("leads", "budget"):
            for cap in caps.get(kind, []):  # "used" is a string in the seed's shape
                if float(cap["used"]) > float(cap["limit"]):
                    figures["cap_overshoot"] = max(figures["cap_overshoot"], 1)
                    problems.append(f"buyer {b['id']} {kind} cap used {cap['used']} > {cap['limit']}")
    # 4: the ledger equals the stats.
    code, acc = engine.get(f"/public/accounting?start_date={day}&end_date={day}&timezone=UTC")
    if code != 200:
        return problems + [f"accounting answered {code}: {str(acc)[:300]}"]
    due = round(sum(c["due"]["total"] for c in acc["data"]), 4)
    owed = round(sum(c["owed"]["total"] for c in acc["data"]), 4)
    sell, buy = round(camp["campaign"]["total_sell"], 4), round(camp["campaign"]["total_buy"], 4)
    if due != sell or owed != buy:
        figures["ledger_mismatches"] += 1
        problems.append(f"ledger due {due} / owed {owed} vs stats sell {sell} / buy {buy}")
    figures["stored_total"] = camp["campaign"]["leads_total"]
    if camp["campaign"]["leads_total"] < len(acked):
        problems.append(f"{camp['campaign']['leads_total']} leads counted < {len(acked)} acknowledged")
    return problems


def check_prepaid(engine, deposited, figures):
    """Buyer B (client 3) prepays: the ledger sums to zero, every balance equals its postings, the
    balance is never negative, and what it lost is exactly what buyer 21 bought (stats)."""
    problems = []
    code, audit = engine.get("/admin/ledger")
    if code != 200:
        return [f"ledger audit answered {code}"]
    if not audit["consistent"] or audit["total"] != 0:
        figures["ledger_inconsistent"] += 1
        problems.append(f"ledger: total {audit['total']}, consistent {audit['consistent']}: "
                        f"{audit['accounts']}")
    _, bal = engine.get("/admin/clients/3/balance")
    figures["prepaid_balance"] = bal["balance"]
    if bal["balance"] < 0:
        problems.append(f"client 3's balance is negative: {bal['balance']}")
    day = time.strftime("%Y-%m-%d", time.gmtime())
    _, stats = engine.get(f"/public/stats?start_date={day}&end_date={day}&timezone=UTC")
    b21 = next(b for b in stats[0]["buyers"] if b["id"] == 21)
    figures["prepaid_sold"] = b21["leads_accepted"]
    if round(deposited - bal["balance"], 4) != round(b21["total_sell"], 4):
        problems.append(f"client 3 charged {deposited - bal['balance']}, buyer 21 sold "
                        f"{b21['total_sell']}")
    return problems


def main():
    global CAP_LEADS, CAP_BUDGET
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--cycles", type=int, default=20)
    ap.add_argument("--rate", type=float, default=150)
    ap.add_argument("--seed", type=int, default=int(time.time()))
    ap.add_argument("--cap", type=int, default=CAP_LEADS, help="buyer 20's lead cap")
    ap.add_argument("--exchange", action="store_true",
                    help="a ping/post exchange (auction per lead) instead of direct post")
    ap.add_argument("--changes", action="store_true",
                    help="apply configuration changes all along (kill -9 lands amid them)")
    ap.add_argument("--prepaid", type=float, default=0,
                    help="buyer 21's client prepays: this deposit, then the ledger is checked")
    a = ap.parse_args()
    CAP_LEADS, CAP_BUDGET = a.cap, str(a.cap * 11)
    rng = random.Random(a.seed)
    work = tempfile.mkdtemp(prefix="pp-crash-")
    buyers = []
    try:
        ports = [free_port(), free_port()]
        for p, price in zip(ports, (PRICE_A, PRICE_B)):
            buyers.append(subprocess.Popen([os.path.join(a.build, "bench", "pp_fakebuyer"),
                                            "--listen", f"127.0.0.1:{p}", "--latency", "uniform:1:4",
                                            "--price", str(price)],
                                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            wait_port(p, buyers[-1])
        cfg_path = os.path.join(work, "crash.json")
        json.dump(config(*ports, exchange=a.exchange, prepaid=a.prepaid > 0), open(cfg_path, "w"))
        engine = Engine(a.build, work, cfg_path, os.path.join(work, "data"))
        acked, checked = [], 0
        figures = {"mode": "exchange" if a.exchange else "direct_post", "seed": a.seed, "cycles": 0, "acknowledged": 0, "lost": 0, "changed": 0,
                   "oversold": 0, "cap_overshoot": 0, "ledger_mismatches": 0, "buyer_a_sold": 0,
                   "stored_total": 0, "changes_acknowledged": 0, "changes_lost": 0,
                   "config_version": 0, "ledger_inconsistent": 0}
        acked_changes = []
        problems = []
        engine.start()
        if a.prepaid > 0:
            c = http.client.HTTPConnection("127.0.0.1", engine.port, timeout=30)
            c.request("POST", "/admin/clients/3/deposits", body=json.dumps({"amount": a.prepaid}),
                      headers={"Authorization": "Bearer " + ADMIN})
            r = c.getresponse()
            if r.status != 201:
                raise RuntimeError(f"deposit refused: {r.status} {r.read()}")
        for cycle in range(a.cycles):
            stop = threading.Event()
            ts = drive(engine.port, a.rate, stop, acked, seq0=cycle * 100_000_000)
            if a.changes:
                ts += drive_changes(engine.port, stop, acked_changes, cycle)
            time.sleep(rng.uniform(0.3, 2.0))
            engine.kill9()  # mid-flight: some leads are being delivered or written right now
            stop.set()
            for t in ts:
                t.join()
            engine.start()
            problems += [f"cycle {cycle}: {p}" for p in check(engine, acked, checked, figures)]
            if a.changes:
                problems += [f"cycle {cycle}: {p}"
                             for p in check_changes(engine, acked_changes, figures)]
            if a.prepaid > 0:
                problems += [f"cycle {cycle}: {p}"
                             for p in check_prepaid(engine, a.prepaid, figures)]
            checked = len(acked)
            figures["cycles"] = cycle + 1
            figures["acknowledged"] = len(acked)
            print(f"cycle {cycle + 1}/{a.cycles}: {len(acked)} acknowledged so far, "
                  f"buyer 20 sold {figures['buyer_a_sold']}/{CAP_LEADS}, problems {len(problems)}",
                  file=sys.stderr, flush=True)
        engine.stop()
        print(json.dumps(figures))
        for p in problems[:20]:
            print("PROBLEM:", p, file=sys.stderr)
        return 1 if problems else 0
    finally:
        for b in buyers:
            b.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
