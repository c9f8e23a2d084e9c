#!/usr/bin/env python3
"""make bench: every benchmark of issue 6 in one run, each against its reference, as one Markdown
report (figures, ratios, machine, date, commit).

    python3 bench/run_bench.py --build build-release [--out bench/results/latest.md]
                               [--duration 5] [--quick] [--only limit,direct,...] [--profile]
                               [--pingpost-arg=--group-wait-us --pingpost-arg=0]

Loopback only. Every process it starts is killed when it ends. Scenarios (see BENCHMARKS.md):
  micro     Google Benchmark (pp_micro): parse, validate, render JSON/FORM/XML, map, rules, rank, stats
  limit     a minimal Beast server answering a fixed body, driven by the same load driver
  direct    direct post, one HTTP buyer: pingpost vs nginx proxy_pass (closed and open loop)
  exchange  10 ping/post buyers: pingpost vs nginx + Lua (capture_multi, highest bid, post,
            fall back to the next bid); the two-step supplier ping then post
  threads2  the exchange with pingpostd --threads 2 against nginx + Lua with two workers
  silent    exchange with one buyer that never answers: answer time against the deadline
  growth    1..100 buyers (pingpost and nginx + Lua), and 0 / 10^5 / 10^6 leads already stored
  memory    resident size idle, at steady load, with 1,000 leads in flight (pingpost and nginx)
  reports   read API over 10^6 stored leads vs reading the leads (pp_reportbench)
  lists     suppression lists (issue 17): upload rows/s, resident size, lookup latency, three lists
            per lead (pp_listbench, 10^7 rows), and an upload streamed through pingpostd's admin API
  data      exports of 10^6 leads (time, resident size); live p99 during a batch (issue 19)
  outbox    notifications (issue 18): deliveries/s to a fast receiver (pp_outboxbench), and direct
            post in open loop with a webhook whose receiver is fast, stalls, fails, says 410,
            redirects or is down, against none
"""
import argparse
import datetime
import http.client
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NGINX_MODULES = "/usr/lib/nginx/modules"

# Ports (loopback): buyers 19500.., silent buyer 19490, pingpost 19480, nginx 19481, limit 19482.
BUYER_BASE, SILENT, PP_PORT, NGX_PORT, LIMIT_PORT = 19500, 19490, 19480, 19481, 19482
RECEIVER = 19470  # webhook receivers (outbox scenario); RECEIVER + 9: nothing listens
MIN_PORT = 19483  # pp_minlead: the floor (the work alone, group-committed fsync)
AUCTION_MS = 200       # the exchange deadline, pingpost and nginx alike
BUYER_LATENCY = "uniform:3:7"   # every fake buyer answers after 3-7 ms (mean 5)
CONNECTIONS = 32

LEAD = {"lp_campaign_id": 1, "lp_supplier_id": 10, "lp_key": "bench-supplier-key",
        "lp_subid1": "bench", "lp_subid2": "{{seq}}", "first_name": "Leanne", "last_name": "Sanford",
        "email": "ahamill@example.org", "phone": "4103097989", "state": "NM", "zip_code": "01341",
        "ip_address": "36e1:e77:b803:84d5:303:cf53:1cc8:31bb",
        "landing_page_url": "https://example.org/aliquid",
        "user_agent": "Mozilla/5.0 (X11; Linux i686; rv:7.0) Gecko/20170324 Firefox/36.0"}
PING = {"lp_campaign_id": 1, "lp_supplier_id": 10, "lp_key": "bench-supplier-key",
        "lp_subid2": "{{seq}}", "state": "NM", "zip_code": "01341"}
POST_AFTER_PING = dict(LEAD, lp_ping_id="{{ping_id}}")

FIELDS = [{"name": "first_name", "required": True}, {"name": "last_name", "required": True},
          {"name": "email", "type": "email", "required": True},
          {"name": "phone", "type": "phone", "required": True},
          {"name": "state", "type": "state", "required": True, "required_on_ping": True},
          {"name": "zip_code", "type": "zip", "required": True, "on_ping": True},
          {"name": "ip_address", "type": "ip"}, {"name": "landing_page_url", "type": "url"}]
POST_FIELDS = {"first_name": "{{first_name}}", "last_name": "{{last_name}}", "email": "{{email}}",
               "phone": "{{phone}}", "state": "{{state}}", "zip": "{{zip_code}}",
               "id": "{{lp_lead_id}}"}


# ---------------------------------------------------------------------------------------------
# processes

class Procs:
    def __init__(self, work):
        self.work, self.procs = work, []

    def start(self, name, cmd):
        log = open(os.path.join(self.work, name + ".log"), "ab")
        p = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.procs.append(p)
        return p

    def stop(self, p):
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
        self.procs.remove(p)

    def stop_all(self):
        for p in list(self.procs):
            self.stop(p)


def http_call(method, port, path, body=None, headers=None):
    """One request to 127.0.0.1:port; the body of a 2xx answer (raises otherwise)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    conn.request(method, path, body=body, headers=headers or {})
    r = conn.getresponse()
    data = r.read()
    conn.close()
    if r.status // 100 != 2:
        raise RuntimeError(f"{method} {path}: HTTP {r.status}: {data[:200]!r}")
    return data


def wait_port(port, proc, timeout=20):
    end = time.time() + timeout
    while time.time() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"process for port {port} exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


# ---------------------------------------------------------------------------------------------
# configurations

def pingpost_config(kind, n_buyers=1, silent=False, auction_ms=AUCTION_MS):
    buyers = []
    if kind == "direct":
        buyers.append({"id": 20, "client_id": 2, "type": "direct_post", "price": {"type": "realtime"},
                       "post": {"url": f"http://127.0.0.1:{BUYER_BASE}/post", "format": "json",
                                "timeout_ms": 2000, "fields": POST_FIELDS},
                       "post_response": {"format": "json",
                                         "accepted": {"path": "status", "equals": ["accepted"]},
                                         "price": "price", "lead_id": "lead_id"}})
    else:
        ports = [BUYER_BASE + i for i in range(n_buyers)] + ([SILENT] if silent else [])
        for i, port in enumerate(ports):
            buyers.append({
                "id": 100 + i, "client_id": 2, "type": "ping_post", "price": {"type": "realtime"},
                "ping": {"url": f"http://127.0.0.1:{port}/ping", "format": "json", "timeout_ms": 5000,
                         "fields": {"state": "{{state}}", "zip": "{{zip_code}}"}},
                "ping_response": {"format": "json",
                                  "accepted": {"path": "status", "equals": ["accepted"]},
                                  "price": "bid"},
                "post": {"url": f"http://127.0.0.1:{port}/post", "format": "json",
                         "timeout_ms": 5000, "fields": POST_FIELDS},
                "post_response": {"format": "json",
                                  "accepted": {"path": "status", "equals": ["accepted"]},
                                  "price": "price", "lead_id": "lead_id"}})
    campaign = {"id": 1, "name": "Bench " + kind, "fields": FIELDS,
                "suppliers": [{"id": 10, "client_id": 1, "lp_key": "bench-supplier-key",
                               "price": {"type": "revenue_share", "percent": 60}}],
                "buyers": buyers}
    if kind == "direct":
        campaign["type"] = "direct_post"
    else:
        campaign["type"] = "ping_post_exchange"
        campaign["exchange"] = {"auction_timeout_ms": auction_ms, "network_buffer_ms": 10,
                                "min_buyer_time_ms": 20, "margin": {"type": "percent", "value": 20}}
    return {"account": {"name": "bench", "timezone": "America/New_York"},
            "outbound": {"allow_private_networks": True, "breaker_failures": 0},
            "clients": [{"id": 1, "company": "Supplier"}, {"id": 2, "company": "Buyer"}],
            "campaigns": [campaign]}


NGINX_HEAD = """load_module {mods}/ndk_http_module.so;
load_module {mods}/ngx_http_lua_module.so;
daemon off;
master_process {master};
worker_processes {workers};
error_log {work}/nginx-error.log error;
pid {work}/nginx.pid;
events {{ worker_connections 16384; }}
http {{
  access_log off;
  client_body_temp_path {work}/ngx-body;
  proxy_temp_path {work}/ngx-proxy;
  client_body_buffer_size 64k;
  client_max_body_size 64k;
  keepalive_requests 1000000;
{upstreams}
  server {{
    listen 127.0.0.1:{port} backlog=4096;
    location ~ ^/b/(\\d+)/(ping|post)$ {{
      internal;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Content-Type application/json;
      proxy_connect_timeout {deadline}ms; proxy_send_timeout {deadline}ms; proxy_read_timeout {deadline}ms;
      proxy_pass http://b$1/$2;
    }}
{location}
  }}
}}
"""

# Exchange in Lua: ping every buyer at once, rank the bids, post to the best, fall back to the next.
# No validation, no storage, no field mapping: the lead is forwarded as received.
NGINX_EXCHANGE = """    location = /direct_post {{
      content_by_lua_block {{
        ngx.req.read_body()
        local body = ngx.req.get_body_data()
        local reqs = {{}}
        for i = 0, {n} - 1 do reqs[i + 1] = {{"/b/" .. i .. "/ping", {{method = ngx.HTTP_POST, body = body}}}} end
        local res = {{ngx.location.capture_multi(reqs)}}
        local bids = {{}}
        for i, r in ipairs(res) do
          if r.status == 200 then
            local bid = tonumber(string.match(r.body, '"bid":"([%d%.]+)"'))
            if bid then bids[#bids + 1] = {{bid, i - 1}} end
          end
        end
        table.sort(bids, function(a, b) return a[1] > b[1] end)
        for _, b in ipairs(bids) do
          local p = ngx.location.capture("/b/" .. b[2] .. "/post", {{method = ngx.HTTP_POST, body = body}})
          if p.status == 200 and string.find(p.body, '"status":"accepted"', 1, true) then
            ngx.say('{{"status":"ACCEPTED","price":' .. b[1] .. '}}')
            return
          end
        end
        ngx.say('{{"status":"ERROR","code":1005,"message":"No bids"}}')
      }}
    }}"""

NGINX_PROXY = """    location = /direct_post {
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_pass http://b0/post;
    }"""


def nginx_config(work, mode, ports, deadline=AUCTION_MS, workers=1):
    ups = "\n".join(f"  upstream b{i} {{ server 127.0.0.1:{p}; keepalive 256; }}"
                    for i, p in enumerate(ports))
    loc = NGINX_PROXY if mode == "proxy" else NGINX_EXCHANGE.format(n=len(ports))
    return NGINX_HEAD.format(mods=NGINX_MODULES, work=work, upstreams=ups, port=NGX_PORT,
                             deadline=deadline, location=loc,
                             master="off" if workers == 1 else "on", workers=workers)


# ---------------------------------------------------------------------------------------------
# the bench

class Bench:
    def __init__(self, args):
        self.a = args
        self.b = os.path.abspath(args.build)
        self.work = tempfile.mkdtemp(prefix="pp-bench-")
        self.procs = Procs(self.work)
        self.sections = []   # (title, intro, header, rows, notes)
        self.summary = []    # (what, figure, reference, ratio)
        self.profile = None
        for name, body in (("lead.json", LEAD), ("ping.json", PING), ("post.json", POST_AFTER_PING)):
            with open(os.path.join(self.work, name), "w") as f:
                json.dump(body, f)
        for d in ("ngx-body", "ngx-proxy"):
            os.makedirs(os.path.join(self.work, d))

    def bin(self, name):
        return os.path.join(self.b, name) if name == "pingpostd" else os.path.join(self.b, "bench", name)

    def log(self, msg):
        print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)

    # -- processes
    def buyers(self, n, latency=BUYER_LATENCY, base=BUYER_BASE, extra=()):
        p = self.procs.start("buyers", [self.bin("pp_fakebuyer"), "--listen", f"127.0.0.1:{base}",
                                        "--ports", str(n), "--latency", latency, "--price", "5",
                                        "--price-max", "25", *extra])
        for i in range(n):
            wait_port(base + i, p)
        return p

    def silent_buyer(self):
        p = self.procs.start("silent", [self.bin("pp_fakebuyer"), "--listen",
                                        f"127.0.0.1:{SILENT}", "--silent", "1"])
        wait_port(SILENT, p)
        return p

    def pingpost(self, config, data=None, threads=1):
        path = os.path.join(self.work, "pingpost.json")
        with open(path, "w") as f:
            json.dump(config, f)
        data = data or tempfile.mkdtemp(prefix="data-", dir=self.work)
        p = self.procs.start("pingpostd", [self.bin("pingpostd"), "--config", path, "--data", data,
                                           "--listen", f"127.0.0.1:{PP_PORT}", "--threads", str(threads),
                                           "--log-level", "warn", *self.a.pingpost_arg])
        wait_port(PP_PORT, p)
        return p

    def minlead(self, mode, ports):
        data = tempfile.mkdtemp(prefix="min-", dir=self.work)
        p = self.procs.start("minlead", [self.bin("pp_minlead"), "--mode", mode, "--listen",
                                         f"127.0.0.1:{MIN_PORT}", "--buyers",
                                         ",".join(f"127.0.0.1:{x}" for x in ports), "--data", data,
                                         "--deadline-ms", str(AUCTION_MS)])
        wait_port(MIN_PORT, p)
        return p

    def nginx(self, mode, ports, deadline=AUCTION_MS, workers=1):
        path = os.path.join(self.work, "nginx.conf")
        with open(path, "w") as f:
            f.write(nginx_config(self.work, mode, ports, deadline, workers))
        p = self.procs.start("nginx", ["nginx", "-p", self.work, "-c", path])
        wait_port(NGX_PORT, p)
        return p

    @staticmethod
    def with_children(pid):
        """The process and its children (nginx's master and its workers), for CPU accounting."""
        try:
            kids = open(f"/proc/{pid}/task/{pid}/children").read().split()
        except OSError:
            kids = []
        return ",".join([str(pid), *kids])

    def load(self, port, pid, duration=None, conns=CONNECTIONS, rate=None, two_step=False,
             path="/direct_post", expect="ACCEPTED", warmup=True):
        base = [self.bin("pp_loadgen"), "--target", f"127.0.0.1:{port}", "--path", path,
                "--body-file", os.path.join(self.work, "post.json" if two_step else "lead.json")]
        if expect:
            base += ["--expect", expect]
        if two_step:
            base += ["--ping-path", "/ping", "--ping-body-file", os.path.join(self.work, "ping.json")]
        if warmup:
            subprocess.run(base + ["--connections", str(min(conns, 32)), "--duration", "1"],
                           check=True, capture_output=True)
        cmd = base + ["--connections", str(conns), "--duration", str(duration or self.a.duration),
                      "--pid", str(pid)]
        if rate:
            cmd += ["--rate", str(int(rate))]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        return json.loads(out.strip().splitlines()[-1])

    # -- report helpers
    HEADER = ["run", "leads/s", "p50 ms", "p99 ms", "p99.9 ms", "max ms", "CPU/lead", "errors"]

    @staticmethod
    def row(name, r):
        return [name, f"{r['rps']:.0f}", f"{r['p50_ms']:.2f}", f"{r['p99_ms']:.2f}",
                f"{r['p999_ms']:.2f}", f"{r['max_ms']:.2f}", f"{r['cpu_us']:.0f} µs",
                str(r["errors"] + r["mismatches"])]

    def section(self, title, intro, rows, notes=(), header=None):
        self.sections.append((title, intro, header or self.HEADER, rows, list(notes)))

    # -- scenarios
    def micro(self):
        out = os.path.join(self.work, "micro.json")
        subprocess.run([self.bin("pp_micro"), f"--benchmark_min_time={0.1 if self.a.quick else 0.5}",
                        "--benchmark_format=console", f"--benchmark_out={out}",
                        "--benchmark_out_format=json"], check=True, capture_output=True)
        data = json.load(open(out))
        by = {b["name"]: b for b in data["benchmarks"]}
        rows = []
        for name, b in by.items():
            if name.endswith("_Reference"):
                continue
            t = b["real_time"]
            unit = b["time_unit"]
            ref = by.get(name + "_Reference")
            ratio = f"{ref['real_time'] / t:.1f}x faster" if ref else "-"
            ref_t = f"{ref['real_time']:.0f} {unit}" if ref else "-"
            extra = "; ".join(f"{k} {b[k]:.0f}" for k in ("allocs/op", "body_bytes") if k in b)
            rows.append([name.removeprefix("BM_"), f"{t:.0f} {unit}" if t >= 10 else f"{t:.2f} {unit}",
                         ref_t, ratio, extra])
        self.section("Micro benchmarks (Google Benchmark, one core)",
                     "`build-release/bench/pp_micro`. A `_Reference` benchmark is the same work done "
                     "the way a general tool or a straightforward implementation does it.",
                     rows, header=["benchmark", "time", "reference", "ratio", "notes"])
        rules = by.get("BM_EligibilityAndPricing50x10")
        ref = by.get("BM_EligibilityAndPricing50x10_Reference")
        if rules and ref:
            self.summary.append(("filters + pricing, 50 buyers x 10 rules",
                                 f"{rules['real_time'] / 1000:.1f} µs",
                                 f"{ref['real_time'] / 1000:.1f} µs (naive evaluator)",
                                 f"{ref['real_time'] / rules['real_time']:.1f}x faster"))

    def limit(self):
        p = self.procs.start("limit", [self.bin("pp_fakebuyer"), "--listen",
                                       f"127.0.0.1:{LIMIT_PORT}", "--body", '{"status":"ACCEPTED"}'])
        wait_port(LIMIT_PORT, p)
        r = self.load(LIMIT_PORT, p.pid)
        self.procs.stop(p)
        self.limit_result = r
        self.section("1. The limit",
                     "A minimal Beast server answering a fixed body (one thread, keep-alive), driven "
                     f"by the same load driver: {CONNECTIONS} connections, closed loop.",
                     [self.row("minimal Beast server", r)])

    def direct(self):
        buyers = self.buyers(1, latency="fixed:0")
        rows, res = [], {}
        pp = self.pingpost(pingpost_config("direct"))
        res["pp"] = self.load(PP_PORT, pp.pid)
        self.procs.stop(pp)
        ng = self.nginx("proxy", [BUYER_BASE])
        res["ng"] = self.load(NGX_PORT, ng.pid, expect="accepted")
        self.procs.stop(ng)
        mn = self.minlead("direct", [BUYER_BASE])
        res["min"] = self.load(MIN_PORT, mn.pid)
        self.procs.stop(mn)
        rate = 0.5 * min(res["pp"]["rps"], res["ng"]["rps"])
        pp = self.pingpost(pingpost_config("direct"))
        res["pp_open"] = self.load(PP_PORT, pp.pid, rate=rate, conns=64)
        self.procs.stop(pp)
        ng = self.nginx("proxy", [BUYER_BASE])
        res["ng_open"] = self.load(NGX_PORT, ng.pid, rate=rate, conns=64, expect="accepted")
        self.procs.stop(ng)
        self.procs.stop(buyers)
        rows = [self.row("pingpost /direct_post (validate, deliver, fsync'd store)", res["pp"]),
                self.row("nginx proxy_pass (forwards only)", res["ng"]),
                self.row("pp_minlead: forward, one group-committed fsync'd write (the floor)", res["min"]),
                self.row(f"pingpost, open loop at {rate:.0f}/s", res["pp_open"]),
                self.row(f"nginx, open loop at {rate:.0f}/s", res["ng_open"])]
        lim = getattr(self, "limit_result", None)
        notes = [f"throughput pingpost / nginx: **{res['pp']['rps'] / res['ng']['rps']:.2f}**; "
                 f"CPU per lead pingpost / nginx: **{res['pp']['cpu_us'] / max(res['ng']['cpu_us'], 1e-9):.2f}**"]
        notes.append(f"CPU per lead pingpost / the minimal direct-post program: "
                     f"**{res['pp']['cpu_us'] / max(res['min']['cpu_us'], 1e-9):.2f}** (goal <= 1.25)")
        if lim:
            notes.append(f"pingpost / the limit: **{res['pp']['rps'] / lim['rps']:.2f}** of the "
                         f"requests a bare server answers")
        notes.append(f"open loop at half the lower capacity: p99 pingpost {res['pp_open']['p99_ms']:.2f} ms, "
                     f"nginx {res['ng_open']['p99_ms']:.2f} ms (latency from the moment each lead was due)")
        self.section("2. Direct post, one HTTP buyer",
                     "The buyer answers at once. pingpostd `--threads 1` vs nginx with one worker "
                     "(`master_process off`), same buyer, same lead, same driver.", rows, notes)
        self.summary.append(("direct post, 1 buyer: leads/s", f"{res['pp']['rps']:.0f}",
                             f"{res['ng']['rps']:.0f} (nginx proxy_pass)",
                             f"{res['pp']['rps'] / res['ng']['rps']:.2f}"))
        self.summary.append(("direct post: CPU per lead", f"{res['pp']['cpu_us']:.0f} µs",
                             f"{res['min']['cpu_us']:.0f} µs (pp_minlead, the floor)",
                             f"{res['pp']['cpu_us'] / max(res['min']['cpu_us'], 1e-9):.2f}"))
        self.direct_result = res

    def exchange(self, n=10):
        buyers = self.buyers(n)
        res = {}
        pp = self.pingpost(pingpost_config("exchange", n))
        if self.a.profile:
            res["pp"] = self.profiled_load(pp)
        else:
            res["pp"] = self.load(PP_PORT, pp.pid)
        self.procs.stop(pp)
        ng = self.nginx("exchange", [BUYER_BASE + i for i in range(n)])
        res["ng"] = self.load(NGX_PORT, ng.pid)
        self.procs.stop(ng)
        mn = self.minlead("exchange", [BUYER_BASE + i for i in range(n)])
        res["min"] = self.load(MIN_PORT, mn.pid)
        self.procs.stop(mn)
        rate = 0.5 * min(res["pp"]["rps"], res["ng"]["rps"])
        pp = self.pingpost(pingpost_config("exchange", n))
        res["pp_open"] = self.load(PP_PORT, pp.pid, rate=rate, conns=128)
        res["pp_two"] = self.load(PP_PORT, pp.pid, two_step=True, path="/post")
        self.procs.stop(pp)
        ng = self.nginx("exchange", [BUYER_BASE + i for i in range(n)])
        res["ng_open"] = self.load(NGX_PORT, ng.pid, rate=rate, conns=128)
        self.procs.stop(ng)
        self.procs.stop(buyers)
        two = res["pp_two"]
        rows = [self.row("pingpost /direct_post (ping all, rank, post, fsync'd store)", res["pp"]),
                self.row("nginx + Lua (capture_multi, highest bid, post)", res["ng"]),
                self.row("pp_minlead: ping all, highest bid, post, one group-committed fsync'd write (the floor)", res["min"]),
                self.row(f"pingpost, open loop at {rate:.0f}/s", res["pp_open"]),
                self.row(f"nginx + Lua, open loop at {rate:.0f}/s", res["ng_open"]),
                self.row("pingpost two-step: supplier /ping, then /post", two)]
        notes = [f"throughput pingpost / nginx + Lua: **{res['pp']['rps'] / res['ng']['rps']:.2f}**; "
                 f"CPU per lead pingpost / nginx + Lua: **{res['pp']['cpu_us'] / max(res['ng']['cpu_us'], 1e-9):.2f}**",
                 f"CPU per lead pingpost / the minimal fan-out program: "
                 f"**{res['pp']['cpu_us'] / max(res['min']['cpu_us'], 1e-9):.2f}** (goal <= 1.25)",
                 f"every lead costs at least one ping and one post round trip (buyers answer in "
                 f"{BUYER_LATENCY.replace('uniform:', '').replace(':', '-')} ms): p50 pingpost "
                 f"{res['pp_open']['p50_ms']:.2f} ms, nginx {res['ng_open']['p50_ms']:.2f} ms at the open-loop rate",
                 f"two-step: ping p50 {two['ping_p50_ms']:.2f} ms / p99 {two['ping_p99_ms']:.2f} ms; "
                 f"{two['no_bid']} pings without a bid"]
        self.section(f"3. Exchange, {n} ping/post buyers",
                     f"Each buyer answers pings with a bid of 5-25 after {BUYER_LATENCY} ms and accepts "
                     f"posts; deadline {AUCTION_MS} ms. pingpost validates, pings only the ping fields, "
                     "ranks after margin, posts, falls back, stores lead and debug log; nginx forwards "
                     "the raw body and picks the highest bid with a pattern.", rows, notes)
        self.summary.append((f"exchange, {n} buyers: leads/s", f"{res['pp']['rps']:.0f}",
                             f"{res['ng']['rps']:.0f} (nginx + Lua)",
                             f"{res['pp']['rps'] / res['ng']['rps']:.2f}"))
        self.summary.append((f"exchange, {n} buyers: CPU per lead", f"{res['pp']['cpu_us']:.0f} µs",
                             f"{res['ng']['cpu_us']:.0f} µs (nginx + Lua)",
                             f"{res['pp']['cpu_us'] / max(res['ng']['cpu_us'], 1e-9):.2f}"))
        self.summary.append((f"exchange, {n} buyers: CPU per lead vs the floor", f"{res['pp']['cpu_us']:.0f} µs",
                             f"{res['min']['cpu_us']:.0f} µs (pp_minlead)",
                             f"{res['pp']['cpu_us'] / max(res['min']['cpu_us'], 1e-9):.2f}"))
        self.exchange_result = res

    def threads2(self, n=10):
        """The exchange with two I/O threads against nginx + Lua with two workers."""
        buyers = self.buyers(n)
        res = {}
        pp = self.pingpost(pingpost_config("exchange", n), threads=2)
        res["pp"] = self.load(PP_PORT, pp.pid, conns=64)
        self.procs.stop(pp)
        ng = self.nginx("exchange", [BUYER_BASE + i for i in range(n)], workers=2)
        time.sleep(0.5)  # the workers start after the master listens
        res["ng"] = self.load(NGX_PORT, self.with_children(ng.pid), conns=64)
        self.procs.stop(ng)
        self.procs.stop(buyers)
        rows = [self.row("pingpost --threads 2 (exchange)", res["pp"]),
                self.row("nginx + Lua, 2 workers", res["ng"])]
        notes = [f"throughput pingpost / nginx + Lua: **{res['pp']['rps'] / res['ng']['rps']:.2f}**; "
                 f"CPU per lead pingpost / nginx + Lua: **{res['pp']['cpu_us'] / max(res['ng']['cpu_us'], 1e-9):.2f}**",
                 "2 cores shared with the driver and the buyers: the second thread competes with them"]
        self.section(f"3b. Exchange, {n} buyers, two threads against two workers",
                     "The same exchange, 64 connections; pingpostd `--threads 2` (plus its commit "
                     "thread), nginx with a master and two workers (CPU of all three counted).",
                     rows, notes)

    def silent(self, n=10):
        buyers = self.buyers(n)
        self.silent_buyer()
        res = {}
        # Open loop: leads arrive evenly, so the tail shows how closely each auction keeps its
        # deadline, not a closed loop's synchronised bursts (every connection's auction would end
        # at the same moment and queue its post and store behind the others').
        rate, conns = 150, 128
        pp = self.pingpost(pingpost_config("exchange", n, silent=True))
        res["pp"] = self.load(PP_PORT, pp.pid, conns=conns, rate=rate)
        self.procs.stop(pp)
        ng = self.nginx("exchange", [BUYER_BASE + i for i in range(n)] + [SILENT])
        res["ng"] = self.load(NGX_PORT, ng.pid, conns=conns, rate=rate)
        self.procs.stop(ng)
        self.procs.stop_all()
        rows = []
        for name, r in (("pingpost", res["pp"]), ("nginx + Lua (proxy timeouts = deadline)", res["ng"])):
            rows.append([name, f"{r['rps']:.0f}", f"{r['p50_ms'] - AUCTION_MS:+.2f}",
                         f"{r['p99_ms'] - AUCTION_MS:+.2f}", f"{r['max_ms'] - AUCTION_MS:+.2f}",
                         f"{r['cpu_us']:.0f} µs", str(r["errors"] + r["mismatches"])])
        self.section("4. Exchange with one silent buyer",
                     f"{n} buyers bid, an 11th reads the ping and never answers. Every auction runs "
                     f"to its {AUCTION_MS} ms deadline (pingpost closes the ping stage "
                     f"`network_buffer_ms` = 10 ms early), then the winner's post follows (3-7 ms). "
                     f"Open loop at {rate} leads/s; figures are answer time minus the deadline.",
                     rows, header=["run", "leads/s", "p50 - deadline", "p99 - deadline",
                                   "max - deadline", "CPU/lead", "errors"])
        self.summary.append(("silent buyer: answer p99 - deadline",
                             f"{res['pp']['p99_ms'] - AUCTION_MS:+.1f} ms",
                             f"{res['ng']['p99_ms'] - AUCTION_MS:+.1f} ms (nginx + Lua)", "-"))

    def growth(self):
        rows = []
        counts = [1, 5, 10, 25, 50, 100] if not self.a.quick else [1, 10, 50]
        dur = max(2, self.a.duration * 0.6)
        for n in counts:
            buyers = self.buyers(n)
            pp = self.pingpost(pingpost_config("exchange", n))
            r = self.load(PP_PORT, pp.pid, duration=dur)
            self.procs.stop(pp)
            ng = self.nginx("exchange", [BUYER_BASE + i for i in range(n)])
            g = self.load(NGX_PORT, ng.pid, duration=dur)
            self.procs.stop(ng)
            self.procs.stop(buyers)
            rows.append([str(n), f"{r['rps']:.0f}", f"{r['p99_ms']:.2f}", f"{r['cpu_us']:.0f} µs",
                         f"{g['rps']:.0f}", f"{g['p99_ms']:.2f}", f"{g['cpu_us']:.0f} µs",
                         f"{r['rps'] / g['rps']:.2f}", str(r["errors"] + r["mismatches"] + g["errors"] + g["mismatches"])])
        self.section("5a. Growth with the number of buyers",
                     "Exchange, every buyer bids; all fake buyers live in one process that shares the "
                     "2 cores, so leads/s falls with buyers on both sides: compare CPU per lead.",
                     rows, header=["buyers", "pingpost leads/s", "p99 ms", "CPU/lead",
                                   "nginx + Lua leads/s", "p99 ms", "CPU/lead", "ratio", "errors"])
        rows = []
        stored = [0, 100000, 1000000] if not self.a.quick else [0, 100000]
        base = None
        for n in stored:
            cfg = pingpost_config("exchange", 10)
            data = tempfile.mkdtemp(prefix="stored-", dir=self.work)
            load_s = 0.0
            if n:
                path = os.path.join(self.work, "preload.json")
                json.dump(cfg, open(path, "w"))
                out = subprocess.run([self.bin("pp_preload"), "--config", path, "--data", data,
                                      "--leads", str(n)], check=True, capture_output=True, text=True)
                load_s = json.loads(out.stdout.strip().splitlines()[-1])["seconds"]
            buyers = self.buyers(10)
            pp = self.pingpost(cfg, data=data)
            r = self.load(PP_PORT, pp.pid)
            self.procs.stop(pp)
            self.procs.stop(buyers)
            size = sum(os.path.getsize(os.path.join(dp, f)) for dp, _, fs in os.walk(data) for f in fs)
            base = base or r
            rows.append([f"{n:,}", f"{r['rps']:.0f}", f"{r['p99_ms']:.2f}", f"{r['cpu_us']:.0f} µs",
                         f"{r['rps'] / base['rps']:.2f}", f"{size / 2**20:.0f} MiB",
                         f"{load_s:.0f} s" if n else "-"])
            shutil.rmtree(data, ignore_errors=True)
        self.section("5b. Growth with stored leads",
                     "Exchange, 10 buyers, on a store that already holds N leads of the last 30 days "
                     "(written by `pp_preload` the engine's way: lead, debug log, indexes, rollups).",
                     rows, header=["stored leads", "leads/s", "p99 ms", "CPU/lead", "vs empty",
                                   "data dir after", "preload"])

    def memory(self, n=10, in_flight=1000):
        buyers = self.buyers(n, latency="fixed:400")
        rows = []
        for name, start in (("pingpost", lambda: self.pingpost(pingpost_config("exchange", n, auction_ms=1000))),
                            ("nginx + Lua", lambda: self.nginx("exchange", [BUYER_BASE + i for i in range(n)],
                                                               deadline=1000))):
            p = start()
            time.sleep(0.5)
            idle = rss_mb(p.pid)
            steady = None
            if name == "pingpost" and hasattr(self, "exchange_result"):
                steady = self.exchange_result["pp"]["rss_max_mb"]
            elif name != "pingpost" and hasattr(self, "exchange_result"):
                steady = self.exchange_result["ng"]["rss_max_mb"]
            r = self.load(PP_PORT if name == "pingpost" else NGX_PORT, p.pid, conns=in_flight,
                          warmup=False)
            after = rss_mb(p.pid)
            self.procs.stop(p)
            rows.append([name, f"{idle:.1f}", f"{steady:.1f}" if steady else "-",
                         f"{r['rss_max_mb']:.1f}", f"{after:.1f}", f"{r['rps']:.0f}",
                         f"{r['p99_ms']:.0f}", str(r["errors"] + r["mismatches"])])
        self.procs.stop(buyers)
        self.section("6. Memory (resident set, MiB)",
                     f"Idle after start; at steady load (the peak during scenario 3); with {in_flight} "
                     f"leads in flight ({in_flight} connections, {n} buyers answering after 400 ms, "
                     "so every lead waits ~800 ms on buyers; deadline 1,000 ms on both sides).",
                     rows, header=["process", "idle", "steady load", f"{in_flight} in flight (peak)",
                                   "after", "leads/s", "p99 ms", "errors"])

    def changes(self, campaigns=100, buyers_each=50, n_changes=40):
        """Issue 14: the time to apply one configuration change to a large configuration, and the
        exchange's latency while changes are applied vs without."""
        buyers = self.buyers(10)
        cfg = pingpost_config("exchange", 10)
        cfg["api_tokens"] = [{"name": "bench", "token": "bench-admin-token", "role": "admin"}]
        base = cfg["campaigns"][0]
        for c in range(2, campaigns + 1):
            others = []
            for k in range(buyers_each):
                b = json.loads(json.dumps(base["buyers"][k % len(base["buyers"])]))
                b["id"] = c * 1000 + k
                others.append(b)
            cfg["campaigns"].append(dict(base, id=c, name=f"Campaign {c}", buyers=others,
                                         suppliers=[dict(base["suppliers"][0], id=c * 1000 + 999)]))
        doc_bytes = len(json.dumps(cfg))
        pp = self.pingpost(cfg)

        def patch(n):
            conn = http.client.HTTPConnection("127.0.0.1", PP_PORT, timeout=30)
            t0 = time.perf_counter()
            conn.request("PATCH", f"/admin/campaigns/{campaigns // 2}/buyers/{(campaigns // 2) * 1000 + 7}",
                         json.dumps({"priority": 2 + n % 40}),
                         {"Authorization": "Bearer bench-admin-token",
                          "Content-Type": "application/json"})
            r = conn.getresponse()
            r.read()
            conn.close()
            if r.status != 200:
                raise RuntimeError(f"change answered {r.status}")
            return (time.perf_counter() - t0) * 1000

        times = sorted(patch(n) for n in range(n_changes))
        med, p99 = times[len(times) // 2], times[min(len(times) - 1, int(len(times) * 0.99))]
        rate = 0.5 * getattr(self, "exchange_result", {}).get("pp", {}).get("rps", 1000)
        quiet = self.load(PP_PORT, pp.pid, rate=rate, conns=128)
        stop = threading.Event()
        applied = [0]

        def changer():
            n = 0
            while not stop.is_set():
                patch(n)
                n += 1
                applied[0] += 1
                time.sleep(0.05)
        t = threading.Thread(target=changer)
        t.start()
        busy = self.load(PP_PORT, pp.pid, rate=rate, conns=128, warmup=False)
        stop.set()
        t.join()
        self.procs.stop(pp)
        self.procs.stop(buyers)
        self.section(
            f"8. Live configuration: {campaigns} campaigns x {buyers_each} buyers",
            f"A {doc_bytes / 1e6:.1f} MB configuration ({campaigns * buyers_each:,} buyers). One change "
            "is a `PATCH` of one buyer: parse, merge, validate and compile the whole configuration, "
            "one synced write with its change-log entry, publish. Then the exchange (campaign 1, 10 "
            f"buyers) in open loop at {rate:.0f} leads/s, without changes and with one change every "
            "50 ms.",
            [["one change (HTTP round trip), median", f"{med:.1f} ms"],
             ["one change, p99 of " + str(n_changes), f"{p99:.1f} ms"],
             ["exchange p50 / p99 without changes", f"{quiet['p50_ms']:.2f} / {quiet['p99_ms']:.2f} ms"],
             [f"exchange p50 / p99 with {applied[0]} changes applied meanwhile",
              f"{busy['p50_ms']:.2f} / {busy['p99_ms']:.2f} ms"],
             ["errors without / with changes",
              f"{quiet['errors'] + quiet['mismatches']} / {busy['errors'] + busy['mismatches']}"]],
            header=["what", "value"])

    def reports(self):
        n = 200000 if self.a.quick else 1000000
        out = subprocess.run([self.bin("pp_reportbench"), "--leads", str(n), "--repeat", "5",
                              "--dir", os.path.join(self.work, "reports")],
                             check=True, capture_output=True, text=True).stdout
        shutil.rmtree(os.path.join(self.work, "reports"), ignore_errors=True)
        self.section(f"7. Read API over {n:,} stored leads", "`pp_reportbench` output (right after "
                     "the bulk load, rollups not compacted: the slow case):",
                     [], notes=["```\n" + out.strip() + "\n```"], header=[])

    def lists(self):
        n = 1000000 if self.a.quick else 10000000
        out = subprocess.run([self.bin("pp_listbench"), "--rows", str(n), "--dir",
                              os.path.join(self.work, "lists")],
                             check=True, capture_output=True, text=True).stdout
        shutil.rmtree(os.path.join(self.work, "lists"), ignore_errors=True)
        # The same through the server: a CSV streamed to PUT /admin/lists/1/entries.
        rows = n // 5
        cfg = pingpost_config("direct")
        cfg["lists"] = [{"id": 1, "name": "DNC", "kind": "phone"}]
        cfg["api_tokens"] = [{"name": "bench", "token": "bench-admin-token", "role": "admin"}]
        path = os.path.join(self.work, "upload.csv")
        with open(path, "w") as f:
            f.write("phone\n")
            for i in range(rows):
                f.write(f"{200 + i % 800:03d}{200 + (i // 800) % 800:03d}{i % 10000:04d}\n")
        pp = self.pingpost(cfg)
        size = os.path.getsize(path)
        t0 = time.time()
        conn = http.client.HTTPConnection("127.0.0.1", PP_PORT, timeout=600)
        with open(path, "rb") as body:
            conn.request("PUT", "/admin/lists/1/entries", body=body,
                         headers={"Authorization": "Bearer bench-admin-token", "Content-Type": "text/csv",
                                  "Content-Length": str(size)})
            resp = conn.getresponse()
            answer = json.loads(resp.read())
        took = time.time() - t0
        rss = rss_mb(pp.pid)
        self.procs.stop(pp)
        os.remove(path)
        self.section(f"10. Suppression lists ({n:,} rows; goals for 10^8)",
                     "`pp_listbench` output (the upload's reading, storing and reading back; "
                     "lookups; a lead against three lists), then an upload through pingpostd:",
                     [[f"{rows:,} rows ({size / 1e6:.0f} MB) streamed to PUT /admin/lists/1/entries",
                       f"{took:.2f} s", f"{rows / took:,.0f} rows/s",
                       f"{answer.get('entries', 0):,} entries, resident {rss:.0f} MiB"]],
                     notes=["```\n" + out.strip() + "\n```"],
                     header=["run", "time", "rate", "after"])

    def outbox(self):
        n = 20000 if self.a.quick else 100000
        rx = self.procs.start("receiver", [self.bin("pp_fakebuyer"), "--listen",
                                           f"127.0.0.1:{RECEIVER}", "--latency", "fixed:0"])
        wait_port(RECEIVER, rx)
        out = subprocess.run([self.bin("pp_outboxbench"), "--receiver", f"http://127.0.0.1:{RECEIVER}",
                              "--deliveries", str(n), "--in-flight", "16", "--webhooks", "4",
                              "--dir", os.path.join(self.work, "outbox")],
                             check=True, capture_output=True, text=True).stdout
        self.procs.stop(rx)
        # Intake while a webhook's receiver misbehaves: direct post in open loop at half the
        # closed-loop capacity, every lead making one delivery. Receivers in turn, twice.
        buyers = self.buyers(1, latency="fixed:0")
        pp = self.pingpost(pingpost_config("direct"))
        rate = 0.5 * self.load(PP_PORT, pp.pid)["rps"]
        self.procs.stop(pp)
        kinds = [("none", None), ("fast", ["--latency", "fixed:0"]), ("stalls", ["--silent", "1"]),
                 ("500", ["--status", "500"]), ("410", ["--status", "410"]),
                 ("302", ["--status", "302"]), ("down", "down")]
        rows, p99 = [], {}
        for rnd in (1, 2):
            for name, extra in kinds:
                cfg = pingpost_config("direct")
                rproc = None
                if extra is not None:
                    port = RECEIVER + 9 if extra == "down" else RECEIVER
                    if extra != "down":
                        rproc = self.procs.start("receiver", [self.bin("pp_fakebuyer"), "--listen",
                                                              f"127.0.0.1:{port}", *extra])
                        wait_port(port, rproc)
                    cfg["webhooks"] = [{"id": 1, "url": f"http://127.0.0.1:{port}/hook",
                                        "events": ["lead.accepted", "lead.rejected"],
                                        "timeout_ms": 2000}]
                    cfg["outbox"] = {"retry_base_ms": 1000, "retry_max_ms": 10000}
                pp = self.pingpost(cfg)
                r = self.load(PP_PORT, pp.pid, rate=rate, conns=64)
                self.procs.stop(pp)
                if rproc:
                    self.procs.stop(rproc)
                p99.setdefault(name, []).append(r["p99_ms"])
                rows.append(self.row(f"round {rnd}: webhook receiver {name}", r))
        self.procs.stop(buyers)
        worst = max(max(v) for k, v in p99.items() if k != "none")
        self.section(f"11. Notifications (outbox)",
                     f"`pp_outboxbench` ({n:,} signed webhook deliveries to pp_fakebuyer), then "
                     f"direct post in open loop at {rate:.0f}/s with one webhook subscription whose "
                     f"receiver answers at once, never answers, answers 500, 410 or 302, or is "
                     f"down — against no subscription:",
                     rows, notes=["```\n" + out.strip() + "\n```",
                                  f"p99 with no webhook {min(p99['none']):.2f}–{max(p99['none']):.2f} ms; "
                                  f"the worst receiver's run {worst:.2f} ms"])
        self.summary.append(("outbox: deliveries/s to a fast receiver",
                             out.split(" = ")[1].split(" ")[0] if " = " in out else "?", "", ""))

    def data(self):
        """Issue 19: exports of 10^6 leads; a batch of 100,000 rows while live traffic runs."""
        n = 100000 if self.a.quick else 1000000
        out = subprocess.run([self.bin("pp_exportbench"), "--leads", str(n),
                              "--dir", os.path.join(self.work, "export")],
                             check=True, capture_output=True, text=True).stdout
        out = "\n".join(l for l in out.splitlines() if "[info]" not in l)
        # Live direct posts in open loop at half capacity, alone and then while a batch of
        # 100,000 rows runs through the same campaign (paced by jobs.batch_rows_per_s).
        rows_n = 20000 if self.a.quick else 100000
        buyers = self.buyers(1, latency="fixed:0")
        cfg = pingpost_config("direct")
        cfg["api_tokens"] = [{"name": "bench", "token": "bench-admin-token", "role": "admin"}]
        cfg["jobs"] = {"batch_rows_per_s": 1000, "batch_concurrency": 4}
        pp = self.pingpost(cfg)
        rate = 0.5 * self.load(PP_PORT, pp.pid)["rps"]
        alone = self.load(PP_PORT, pp.pid, rate=rate, conns=64)
        csv_path = os.path.join(self.work, "batch.csv")
        with open(csv_path, "w") as f:
            f.write("first_name,last_name,email,phone,state,zip_code\n")
            for i in range(rows_n):
                f.write(f"Ann,Batch,b{i}@example.org,410{3000000 + i % 999999:07d},NM,01341\n")
        auth = {"Authorization": "Bearer bench-admin-token"}
        up = json.loads(http_call("POST", PP_PORT, "/admin/uploads?filename=batch.csv",
                             open(csv_path, "rb").read(), auth))
        made = json.loads(http_call("POST", PP_PORT, "/admin/batches",
                               json.dumps({"upload_id": up["upload_id"], "campaign_id": 1,
                                           "supplier_id": 10}).encode(), auth))
        time.sleep(1)
        during = self.load(PP_PORT, pp.pid, rate=rate, conns=64)
        t0 = time.time()
        while True:
            b = json.loads(http_call("GET", PP_PORT, "/admin/batches/" + made["batch_id"], None, auth))
            if b["status"] not in ("queued", "running"):
                break
            time.sleep(1)
        self.procs.stop(pp)
        self.procs.stop(buyers)
        total = b["rows_accepted"] + b["rows_duplicated"] + b["rows_failed"]
        self.section("12. Data in and out (exports, batches)",
                     f"`pp_exportbench` ({n:,} leads exported by the job, CSV then XLSX), then "
                     f"direct post in open loop at {rate:.0f}/s alone and while a batch of "
                     f"{rows_n:,} rows (1,000 rows/s, 4 at once) runs through the same campaign:",
                     [self.row("live alone", alone), self.row("live during the batch", during)],
                     notes=["```\n" + out.strip() + "\n```",
                            f"batch {b['status']}: {b['rows_accepted']:,} accepted + "
                            f"{b['rows_duplicated']:,} duplicated + {b['rows_failed']:,} failed = "
                            f"{total:,} of {b['rows_total']:,} rows; p99 alone {alone['p99_ms']:.2f} ms, "
                            f"during {during['p99_ms']:.2f} ms "
                            f"({100 * (during['p99_ms'] / alone['p99_ms'] - 1):+.0f}%)"])
        self.summary.append(("data: live p99 alone / during a batch",
                             f"{alone['p99_ms']:.2f} / {during['p99_ms']:.2f} ms", "", ""))

    def profiled_load(self, pp):
        """Runs the exchange load while perf samples pingpostd; keeps the top of the profile."""
        data = os.path.join(self.work, "perf.data")
        perf = subprocess.Popen(["perf", "record", "-e", "cpu-clock", "-F", "999",
                                 "--call-graph", "dwarf,32768" if self.a.dwarf else "fp", "-p",
                                 str(pp.pid), "-o", data], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        r = self.load(PP_PORT, pp.pid)
        perf.send_signal(signal.SIGINT)
        perf.wait()
        rep = subprocess.run(["perf", "report", "-i", data, "--no-children", "--stdio",
                              "--sort", "dso,symbol", "-g", "none", "--percent-limit", "0.7"],
                             capture_output=True, text=True).stdout
        lines = [" ".join(l.split()).removesuffix(" - -") for l in rep.splitlines()
                 if l.strip() and not l.startswith("#")]
        self.profile = "\n".join(lines[:40])
        shutil.copy(data, os.path.join(os.path.dirname(os.path.abspath(self.a.out)), "perf.data"))
        return r

    # -- output
    def write(self):
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                                capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True).stdout.strip()
        cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
                    if l.startswith("model name")), platform.processor())
        ngx = subprocess.run(["nginx", "-v"], capture_output=True, text=True).stderr.strip()
        out = [f"# pingpost benchmarks ({datetime.date.today()})", "",
               f"- machine: {os.cpu_count()} cores ({cpu}), {platform.system()} {platform.release()}",
               f"- commit: {commit}{' (uncommitted changes)' if dirty else ''}; Release build; "
               f"{ngx.replace('nginx version: ', '')} with libnginx-mod-http-lua",
               f"- load driver: `pp_loadgen` on the same cores, {CONNECTIONS} keep-alive connections "
               f"unless said; {self.a.duration:g} s per run; pingpostd `--threads 1`, nginx one worker",
               "- CPU/lead: user + system CPU of the server process (pingpostd or nginx) during the run "
               "divided by the leads answered", ""]
        if self.summary:
            out += ["## Summary", "", "| what | pingpost | reference | ratio |", "|---|---|---|---|"]
            out += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in self.summary]
            out.append("")
        for title, intro, header, rows, notes in self.sections:
            out += [f"## {title}", "", intro, ""]
            if header and rows:
                out.append("| " + " | ".join(header) + " |")
                out.append("|" + "---|" * len(header))
                out += ["| " + " | ".join(r) + " |" for r in rows]
                out.append("")
            for n in notes:
                out += [n if n.startswith("```") else f"- {n}"]
            if notes:
                out.append("")
        if self.profile:
            out += ["## Profile: pingpostd during scenario 3 (perf, cpu-clock, self time)", "",
                    "```", self.profile, "```", ""]
        text = "\n".join(out)
        os.makedirs(os.path.dirname(os.path.abspath(self.a.out)), exist_ok=True)
        with open(self.a.out, "w") as f:
            f.write(text)
        print(text)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build-release"))
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "results", "latest.md"))
    ap.add_argument("--duration", type=float, default=5)
    ap.add_argument("--quick", action="store_true", help="shorter runs, fewer points (a smoke run)")
    ap.add_argument("--only", default="", help="comma-separated scenarios")
    ap.add_argument("--profile", action="store_true", help="perf-profile pingpostd in scenario 3")
    ap.add_argument("--dwarf", action="store_true", help="with --profile: DWARF call graphs (slower)")
    ap.add_argument("--pingpost-arg", action="append", default=[],
                    help="one more pingpostd argument, repeated for each word: "
                         "--pingpost-arg=--group-wait-us --pingpost-arg=0")
    a = ap.parse_args()
    if a.quick:
        a.duration = min(a.duration, 2)
    all_scenarios = ["micro", "limit", "direct", "exchange", "threads2", "silent", "growth", "memory",
                     "reports", "changes", "lists", "outbox", "data"]
    chosen = [s for s in a.only.split(",") if s] or all_scenarios
    for s in chosen:
        if s not in all_scenarios:
            sys.exit(f"unknown scenario {s}; known: {', '.join(all_scenarios)}")
    if shutil.which("nginx") is None or not os.path.exists(f"{NGINX_MODULES}/ngx_http_lua_module.so"):
        sys.exit("nginx with libnginx-mod-http-lua is missing: run 'bash scripts/install-deps.sh --bench'")
    b = Bench(a)
    t0 = time.time()
    try:
        for s in all_scenarios:
            if s in chosen:
                b.log(f"scenario {s}")
                getattr(b, s)()
    finally:
        b.procs.stop_all()
    b.log(f"done in {time.time() - t0:.0f} s")
    b.write()
    shutil.rmtree(b.work, ignore_errors=True)


if __name__ == "__main__":
    main()
