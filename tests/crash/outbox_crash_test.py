#!/usr/bin/env python3
"""The outbox under kill -9 (issue 18): a webhook receiver that is down (503) while leads arrive,
so that every stored lead's delivery waits on disk; pingpostd is killed with kill -9 while leads are
still being posted; the receiver comes back and pingpostd restarts. Then every acknowledged lead
must be delivered at least once, with the webhook-id its delivery carried before the crash; no
delivery may name a lead that was not stored; every delivery's signature verifies. Later cycles
kill pingpostd while the backlog drains (deliveries in flight are sent again, same id).

    python3 tests/crash/outbox_crash_test.py [--build build] [--cycles 3] [--leads 1000] [--seed N]

Prints one JSON line (cycles, leads acknowledged, deliveries received, resent, violations); exits 1
on a violation.
"""
import argparse
import base64
import hashlib
import hmac
import http.client
import http.server
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


class Receiver:
    """A webhook receiver on loopback: answers 503 while `down`, else 200; records every request."""

    def __init__(self):
        self.down = True
        self.lock = threading.Lock()
        self.seen = {}        # webhook-id -> (lead id, verified)
        self.delivered = {}   # lead id -> set of webhook-ids answered 200
        self.first_id = {}    # lead id -> the webhook-id of its first attempt
        self.requests = 0
        self.answered_ok = 0
        self.secret = None
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                wid = self.headers.get("webhook-id", "")
                ts = self.headers.get("webhook-timestamp", "")
                sig = self.headers.get("webhook-signature", "")
                lead = json.loads(body)["data"].get("lead_id", "")
                with outer.lock:
                    outer.requests += 1
                    ok = outer.verify(wid, ts, body, sig)
                    outer.seen[wid] = (lead, ok)
                    outer.first_id.setdefault(lead, wid)
                    down = outer.down
                    if not down:
                        outer.answered_ok += 1
                        outer.delivered.setdefault(lead, set()).add(wid)
                self.send_response(503 if down else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def verify(self, wid, ts, body, header):
        if self.secret is None:
            return True  # checked once the secret is known
        key = base64.b64decode(self.secret.split("_", 1)[1])
        mac = hmac.new(key, f"{wid}.{ts}.".encode() + body, hashlib.sha256).digest()
        want = "v1," + base64.b64encode(mac).decode()
        return any(hmac.compare_digest(want, s) for s in header.split(" "))


def count_pending(engine):
    """Deliveries waiting, through the delivery log's pages."""
    n, cursor = 0, ""
    while True:
        status, page = engine.get("/admin/deliveries?status=pending&limit=500" +
                                  (f"&cursor={cursor}" if cursor else ""))
        if status != 200:
            raise RuntimeError(f"the delivery log answered {status}")
        n += len(page["data"])
        if not page["next_cursor"]:
            return n
        cursor = page["next_cursor"]


def post_leads(port, stop, acked, seq0, threads=4):
    lock = threading.Lock()

    def worker(k):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        n = 0
        while not stop.is_set():
            seq = seq0 + k * 10_000_000 + n
            n += 1
            body = json.dumps({"lp_campaign_id": 1, "lp_supplier_id": 10,
                               "lp_key": "crash-supplier-key", "first_name": f"N{seq}",
                               "phone": "212555%04d" % (seq % 10000), "lp_subid1": str(seq)})
            try:
                conn.request("POST", "/direct_post", body, {"Content-Type": "application/json"})
                answer = json.loads(conn.getresponse().read())
            except (OSError, http.client.HTTPException, ValueError):
                return  # the kill
            if answer.get("lead_id"):
                with lock:
                    acked.add(answer["lead_id"])

    ts = [threading.Thread(target=worker, args=(k,)) for k in range(threads)]
    for t in ts:
        t.start()
    return ts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(os.path.dirname(__file__), "..", "..", "build"))
    ap.add_argument("--cycles", type=int, default=3)
    ap.add_argument("--leads", type=int, default=1000, help="waiting deliveries before the kill")
    ap.add_argument("--seed", type=int, default=int(time.time()))
    a = ap.parse_args()
    rng = random.Random(a.seed)
    rx = Receiver()
    work = tempfile.mkdtemp(prefix="pp-outbox-crash-")
    cfg = {"account": {"name": "Crash", "timezone": "UTC"},
           "outbound": {"allow_private_networks": True},
           "clients": [{"id": 1, "company": "S"}],
           "api_tokens": [{"name": "admin", "token": ADMIN, "role": "admin"}],
           "outbox": {"retry_base_ms": 50, "retry_max_ms": 300, "breaker_failures": 0,
                      "max_in_flight_per_destination": 8},
           "webhooks": [{"id": 1, "url": f"http://127.0.0.1:{rx.port}/hook",
                         "events": ["lead.accepted", "lead.rejected", "lead.duplicated"]}],
           "campaigns": [{"id": 1, "name": "C",
                          "fields": [{"name": "first_name", "type": "text"},
                                     {"name": "phone", "type": "phone"}],
                          "suppliers": [{"id": 10, "client_id": 1,
                                         "lp_key": "crash-supplier-key"}]}]}
    cfg_path = os.path.join(work, "config.json")
    with open(cfg_path, "w") as f:
        json.dump(cfg, f)
    engine = Engine(a.build, work, cfg_path, os.path.join(work, "data"))
    figures = {"seed": a.seed, "cycles": a.cycles, "acknowledged": 0, "waiting_at_kill": [],
               "deliveries_received": 0, "resent": 0, "violations": []}
    acked = set()
    try:
        engine.start()
        status, secret = engine.get("/admin/webhooks/1/secret")
        assert status == 200, secret
        rx.secret = secret["secrets"][0]["secret"]
        for cycle in range(a.cycles):
            # Leads arrive while the receiver is down (cycle 0) or the backlog drains (later).
            rx.down = cycle == 0
            stop = threading.Event()
            before = len(acked)
            workers = post_leads(engine.port, stop, acked, seq0=cycle * 100_000_000)
            target = a.leads if cycle == 0 else max(50, a.leads // 5)
            deadline = time.time() + 120
            while len(acked) - before < target and time.time() < deadline:
                time.sleep(0.01)
            time.sleep(rng.uniform(0, 0.2))
            if cycle == 0:
                figures["waiting_at_kill"].append(count_pending(engine))
            engine.kill9()
            stop.set()
            for t in workers:
                t.join()
            rx.down = False
            engine.start()
        # Everything acknowledged is delivered, in the end.
        deadline = time.time() + 120
        while time.time() < deadline:
            with rx.lock:
                missing = [x for x in acked if x not in rx.delivered]
            if not missing:
                break
            time.sleep(0.1)
        figures["acknowledged"] = len(acked)
        with rx.lock:
            figures["deliveries_received"] = rx.requests
            missing = [x for x in acked if x not in rx.delivered]
            if missing:
                figures["violations"].append(f"{len(missing)} acknowledged leads never delivered, "
                                             f"e.g. {missing[:3]}")
            for lead, ids in rx.delivered.items():
                if len(ids) > 1:
                    figures["violations"].append(f"lead {lead} delivered under {len(ids)} ids")
                if rx.first_id.get(lead) not in ids:
                    figures["violations"].append(f"lead {lead}: its webhook-id changed")
            bad = [w for w, (_, ok) in rx.seen.items() if not ok]
            if bad:
                figures["violations"].append(f"{len(bad)} deliveries with a bad signature")
            # Sent again after a 200 (the kill came before the outcome was written): same id.
            figures["resent"] = rx.answered_ok - len(rx.delivered)
            leads = {lead for lead, _ in rx.seen.values()}
        # No delivery for a lead that was not stored (acknowledged or not, it must exist).
        for lead in leads - acked:
            status, _ = engine.get(f"/admin/leads/{lead}")
            if status != 200:
                figures["violations"].append(f"a delivery names lead {lead}, which is not stored")
        deadline = time.time() + 60
        while count_pending(engine) and time.time() < deadline:
            time.sleep(0.1)
        if count_pending(engine):
            figures["violations"].append("deliveries still pending at the end")
    finally:
        engine.stop()
        rx.server.shutdown()
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(figures))
    sys.exit(1 if figures["violations"] else 0)


if __name__ == "__main__":
    main()
