#!/usr/bin/env bash
# Ping/post exchange with N buyers on loopback (fake buyers in a separate process), two runs:
#   1. every buyer bids after LAT ms: leads/s and the time pingpost adds on top of the buyers'
#      latency (a lead costs at least one ping and one post round trip: 2 x LAT);
#   2. the same with one more buyer that never answers: time to answer against the auction deadline.
#   bench/load/exchange.sh [duration_s=10] [connections=32] [buyers=10] [latency_ms=5] [auction_ms=200]
set -euo pipefail
cd "$(dirname "$0")/../.."
DUR=${1:-10}; CONN=${2:-32}; N=${3:-10}; LAT=${4:-5}; AUCTION=${5:-200}
B=build
for bin in $B/pingpostd $B/bench/pp_fakebuyer $B/bench/pp_loadgen; do
  [ -x "$bin" ] || { echo "missing $bin: run 'make build' first" >&2; exit 1; }
done
WORK=$(mktemp -d)
BUYERS=19200; SILENT=19190; PP=19180
cleanup() { kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
cpu_ticks() { awk '{print $14+$15}' /proc/$1/stat; }
HZ=$(getconf CLK_TCK)

# Bids differ by buyer: buyer k bids 10 + k.
for k in $(seq 0 $((N - 1))); do
  $B/bench/pp_fakebuyer --listen 127.0.0.1:$((BUYERS + k)) --latency-ms $LAT --price $((10 + k)) &
done
$B/bench/pp_fakebuyer --listen 127.0.0.1:$SILENT --silent 1 &

make_config() {  # $1 = path, $2 = 1 to add the silent buyer
python3 - "$1" $BUYERS $N $AUCTION "$2" $SILENT <<'PY'
import json, sys
path, base, n, auction, silent, silent_port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5] == "1", sys.argv[6]
def buyer(i, port):
    return {"id": 100 + i, "client_id": 2, "type": "ping_post", "priority": i + 1, "price": {"type": "realtime"},
            "ping": {"url": f"http://127.0.0.1:{port}/ping", "format": "json", "timeout_ms": 5000,
                     "fields": {"state": "{{state}}", "zip": "{{zip_code}}"}},
            "ping_response": {"format": "json", "accepted": {"path": "status", "equals": ["accepted"]}, "price": "bid"},
            "post": {"url": f"http://127.0.0.1:{port}/post", "format": "json", "timeout_ms": 5000,
                     "fields": {"first_name": "{{first_name}}", "phone": "{{phone}}", "email": "{{email}}", "id": "{{lp_lead_id}}"}},
            "post_response": {"format": "json", "accepted": {"path": "status", "equals": ["accepted"]}, "price": "price"}}
buyers = [buyer(i, base + i) for i in range(n)]
if silent: buyers.append(buyer(n, int(silent_port)))
cfg = {"account": {"name": "bench", "timezone": "America/New_York"},
       "outbound": {"allow_private_networks": True, "breaker_failures": 0},
       "clients": [{"id": 1, "company": "Supplier"}, {"id": 2, "company": "Buyer"}],
       "campaigns": [{"id": 1, "name": "Bench exchange", "type": "ping_post_exchange",
                      "exchange": {"auction_timeout_ms": auction, "network_buffer_ms": 10, "min_buyer_time_ms": 20,
                                   "margin": {"type": "percent", "value": 20}},
                      "fields": [{"name": "first_name", "required": True}, {"name": "email", "type": "email", "required": True},
                                 {"name": "phone", "type": "phone", "required": True},
                                 {"name": "state", "type": "state", "required": True, "required_on_ping": True},
                                 {"name": "zip_code", "type": "zip", "required": True, "on_ping": True}],
                      "suppliers": [{"id": 10, "client_id": 1, "lp_key": "bench-supplier-key"}],
                      "buyers": buyers}]}
json.dump(cfg, open(path, "w"))
PY
}
cat > "$WORK/lead.json" <<'JSON'
{"lp_campaign_id":1,"lp_supplier_id":10,"lp_key":"bench-supplier-key","lp_subid1":"{{seq}}","first_name":"Leanne","email":"ahamill@example.org","phone":"4103097989","state":"NM","zip_code":"01341"}
JSON

run() {  # $1 = config; prints loadgen JSON and pingpostd CPU ticks
  $B/pingpostd --config "$1" --data "$WORK/data-$RANDOM" --listen 127.0.0.1:$PP --threads 1 --log-level warn &
  local pid=$!
  for i in $(seq 50); do curl -s -o /dev/null 127.0.0.1:$PP/health && break; sleep 0.1; done
  $B/bench/pp_loadgen --target 127.0.0.1:$PP --body-file "$WORK/lead.json" --connections 4 --duration 1 >/dev/null
  local t0=$(cpu_ticks $pid)
  local out=$($B/bench/pp_loadgen --target 127.0.0.1:$PP --body-file "$WORK/lead.json" --connections $CONN --duration $DUR --expect ACCEPTED)
  local t1=$(cpu_ticks $pid)
  kill $pid; wait $pid 2>/dev/null || true
  echo "$out $((t1 - t0))"
}
make_config "$WORK/x.json" 0
make_config "$WORK/xs.json" 1
A=$(run "$WORK/x.json")
S=$(run "$WORK/xs.json")

python3 - "$A" "$S" $HZ $N $LAT $AUCTION $DUR $CONN <<'PY'
import json, sys, subprocess, datetime
def parse(s):
    j, ticks = s.rsplit(" ", 1)
    return json.loads(j), int(ticks)
(a, ta), (s, ts) = parse(sys.argv[1]), parse(sys.argv[2])
hz, n, lat, auction, dur, conn = map(int, sys.argv[3:9])
commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
print(f"exchange, {n} ping_post buyers answering after {lat} ms, auction {auction} ms; {conn} connections, {dur} s; "
      f"pingpostd --threads 1; {datetime.date.today()}; commit {commit}")
print()
print("| scenario | leads/s | p50 ms | p99 ms | p99.9 ms | max ms | errors | CPU per lead |")
print("|---|---|---|---|---|---|---|---|")
for name, r, t in [(f"{n} buyers bid", a, ta), (f"{n} buyers + 1 silent", s, ts)]:
    cpu = t / hz * 1e6 / max(1, r["requests"])
    print(f"| {name} | {r['rps']:.0f} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {r['p999_ms']:.2f} | {r['max_ms']:.2f} | {r['errors']+r['mismatches']} | {cpu:.0f} us |")
print()
floor = 2 * lat
print(f"time pingpost adds over the buyers' own latency ({floor} ms: one ping + one post): "
      f"p50 {a['p50_ms'] - floor:.2f} ms, p99 {a['p99_ms'] - floor:.2f} ms")
print(f"with a silent buyer every auction runs to its {auction} ms deadline; answer - (deadline + post {lat} ms): "
      f"p50 {s['p50_ms'] - auction - lat:.2f} ms, p99 {s['p99_ms'] - auction - lat:.2f} ms, max {s['max_ms'] - auction - lat:.2f} ms")
PY
