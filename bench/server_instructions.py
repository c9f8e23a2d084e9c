#!/usr/bin/env python3
"""Instructions per lead of the whole server (issue 16), counted by callgrind: pingpostd itself
under valgrind, with its HTTP server, its HTTP client to the buyers, the engine and the store
(RocksDB, fsync'd group commit), against pp_fakebuyer answering at once. Timings on a shared
2-core VM move by +-20%; this count moves by about 1%, so a change of a few percent in the lead's
path shows. The kernel's share (TCP on loopback, fsync) is not counted: callgrind sees user space.

    python3 bench/server_instructions.py [--build build-release] [--mode direct|exchange]
                                          [--leads 300] [--buyers 10]

It warms up with 50 leads, zeroes the counters (callgrind_control --zero), sends --leads leads one
after another on one keep-alive connection, and reads the count for them alone (--dump). Prints
one line; the profile of the measured leads stays in /tmp/pp-server.<mode>.out.<pid>.1 for
callgrind_annotate.
"""
import argparse
import glob
import http.client
import json
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run_bench as rb  # noqa: E402  (the benchmark's configurations and lead)


def add_notifications(cfg, receiver):
    """One webhook subscription to every lead event, and two campaign triggers posting the sold
    lead to the receiver (all delivered by the outbox's thread, counted with the rest)."""
    cfg["webhooks"] = [{"id": 1, "url": receiver + "/hook",
                        "events": ["lead.accepted", "lead.rejected", "lead.duplicated"]}]
    for c in cfg["campaigns"]:
        c["triggers"] = [
            {"id": 10 * c["id"] + k, "events": ["lead.accepted"],
             "actions": [{"type": "http", "request": {
                 "url": receiver + f"/trigger{k}", "format": "json",
                 "fields": {"lead": "{{lp_lead_id}}", "status": "{{lp_status}}",
                            "price": "{{lp_price}}", "phone": "{{phone}}"}}}]}
            for k in (1, 2)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(rb.ROOT, "build-release"))
    ap.add_argument("--mode", choices=["direct", "exchange"], default="direct")
    ap.add_argument("--leads", type=int, default=300)
    ap.add_argument("--buyers", type=int, default=10)
    ap.add_argument("--notify", action="store_true",
                    help="with one webhook subscription and two triggers (http postbacks) to the "
                         "fake buyer: what notifications add per lead (issue 18)")
    a = ap.parse_args()
    for tool in ("valgrind", "callgrind_control"):
        if subprocess.run(["which", tool], capture_output=True).returncode != 0:
            sys.exit(f"{tool} is missing (apt-get install valgrind)")
    work = tempfile.mkdtemp(prefix="pp-instr-")
    procs = rb.Procs(work)
    n_buyers = 1 if a.mode == "direct" else a.buyers
    out = f"/tmp/pp-server.{a.mode}.out"
    for old in glob.glob(out + "*"):
        os.remove(old)
    try:
        buyers = procs.start("buyers", [os.path.join(a.build, "bench", "pp_fakebuyer"), "--listen",
                                        f"127.0.0.1:{rb.BUYER_BASE}", "--ports", str(n_buyers),
                                        "--latency", "fixed:0", "--price", "5", "--price-max", "25"])
        for i in range(n_buyers):
            rb.wait_port(rb.BUYER_BASE + i, buyers)
        cfg = rb.pingpost_config(a.mode, n_buyers)
        if a.notify:
            add_notifications(cfg, f"http://127.0.0.1:{rb.BUYER_BASE}")
        path = os.path.join(work, "pingpost.json")
        json.dump(cfg, open(path, "w"))
        pp = procs.start("pingpostd", [
            "valgrind", "--tool=callgrind", f"--callgrind-out-file={out}.%p",
            os.path.join(a.build, "pingpostd"), "--config", path, "--data", os.path.join(work, "data"),
            "--listen", f"127.0.0.1:{rb.PP_PORT}", "--threads", "1", "--log-level", "warn"])
        rb.wait_port(rb.PP_PORT, pp, timeout=120)
        conn = http.client.HTTPConnection("127.0.0.1", rb.PP_PORT, timeout=60)
        seq = [int(time.time() * 1e6)]

        def send(n):
            for _ in range(n):
                seq[0] += 1
                body = json.dumps(rb.LEAD).replace("{{seq}}", str(seq[0]))
                conn.request("POST", "/direct_post", body, {"Content-Type": "application/json"})
                r = conn.getresponse()
                text = r.read().decode()
                if r.status != 200 or "ACCEPTED" not in text:
                    raise RuntimeError(f"unexpected answer {r.status}: {text[:200]}")

        send(50)
        subprocess.run(["callgrind_control", "--zero", str(pp.pid)], check=True,
                       capture_output=True)
        send(a.leads)
        if a.notify:
            time.sleep(2)  # the sender's thread delivers the last leads' notifications
        subprocess.run(["callgrind_control", "--dump=measured", str(pp.pid)], check=True,
                       capture_output=True)
        conn.close()
        time.sleep(0.5)
        files = glob.glob(f"{out}.{pp.pid}.1")  # the first dump: the measured leads
        if not files:
            raise RuntimeError("callgrind wrote no dump")
        total = None
        for line in open(files[-1]):
            m = re.match(r"(?:summary|totals):\s*(\d+)", line)
            if m:
                total = int(m.group(1))
        if total is None:
            raise RuntimeError(f"no totals in {files[-1]}")
        print(f"{a.mode}{' with notifications' if a.notify else ''}: {total // a.leads} "
              f"instructions per lead in pingpostd "
              f"({a.leads} leads after 50 of warm-up, one connection; callgrind, user space; "
              f"profile {files[-1]})")
    finally:
        procs.stop_all()


if __name__ == "__main__":
    main()
