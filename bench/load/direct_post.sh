#!/usr/bin/env bash
# Direct post, one HTTP buyer, measured against "the limit" in the same run (loopback only).
#   bench/load/direct_post.sh [duration_s=10] [connections=32] [pingpost_threads=1] [sync=1]
# 1. limit:    pp_loadgen -> pp_fakebuyer (a minimal Beast server answering a fixed body)
# 2. pingpost: pp_loadgen -> pingpostd /direct_post -> pp_fakebuyer (validate, deliver, fsync'd store)
# Prints a Markdown table with leads/s, latency percentiles, CPU per lead and the ratio.
set -euo pipefail
cd "$(dirname "$0")/../.."
DUR=${1:-10}; CONN=${2:-32}; THREADS=${3:-1}; SYNC=${4:-1}
B=build
for bin in $B/pingpostd $B/bench/pp_fakebuyer $B/bench/pp_loadgen; do
  [ -x "$bin" ] || { echo "missing $bin: run 'make build' first" >&2; exit 1; }
done
WORK=$(mktemp -d)
BUYER_PORT=19101; PP_PORT=19100
cleanup() { kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

cpu_ticks() { awk '{print $14+$15}' /proc/$1/stat; }
HZ=$(getconf CLK_TCK)

$B/bench/pp_fakebuyer --listen 127.0.0.1:$BUYER_PORT --threads 1 --price 10 &
python3 - "$WORK/bench.json" $BUYER_PORT <<'PY'
import json, sys
path, port = sys.argv[1], sys.argv[2]
cfg = {
 "account": {"name": "bench", "timezone": "America/New_York"},
 "outbound": {"allow_private_networks": True},
 "clients": [{"id": 1, "company": "Supplier"}, {"id": 2, "company": "Buyer"}],
 "campaigns": [{"id": 1, "name": "Bench", "type": "direct_post",
   "fields": [{"name": "first_name", "required": True}, {"name": "last_name", "required": True},
              {"name": "email", "type": "email", "required": True},
              {"name": "phone", "type": "phone", "required": True},
              {"name": "state", "type": "state", "required": True},
              {"name": "zip_code", "type": "zip", "required": True},
              {"name": "ip_address", "type": "ip"}, {"name": "landing_page_url", "type": "url"}],
   "suppliers": [{"id": 10, "client_id": 1, "lp_key": "bench-supplier-key", "price": {"type": "revenue_share", "percent": 60}}],
   "buyers": [{"id": 20, "client_id": 2, "type": "direct_post", "price": {"type": "realtime"},
     "post": {"url": f"http://127.0.0.1:{port}/post", "format": "json", "timeout_ms": 2000,
              "fields": {"first_name": "{{first_name}}", "last_name": "{{last_name}}", "email": "{{email}}",
                         "phone": "{{phone}}", "state": "{{state}}", "zip": "{{zip_code}}", "id": "{{lp_lead_id}}"}},
     "post_response": {"format": "json", "accepted": {"path": "status", "equals": ["accepted"]},
                       "price": "price", "lead_id": "lead_id"}}]}]}
json.dump(cfg, open(path, "w"))
PY
cat > "$WORK/lead.json" <<'JSON'
{"lp_campaign_id":1,"lp_supplier_id":10,"lp_key":"bench-supplier-key","lp_subid1":"bench","lp_subid2":"{{seq}}","first_name":"Leanne","last_name":"Sanford","email":"ahamill@example.org","phone":"4103097989","state":"NM","zip_code":"01341","ip_address":"36e1:e77:b803:84d5:303:cf53:1cc8:31bb","landing_page_url":"https://example.org/aliquid","user_agent":"Mozilla/5.0 (X11; Linux i686; rv:7.0) Gecko/20170324 Firefox/36.0"}
JSON
$B/pingpostd --config "$WORK/bench.json" --data "$WORK/data" --listen 127.0.0.1:$PP_PORT \
  --threads $THREADS --log-level warn &
PP_PID=$!
for i in $(seq 50); do curl -s -o /dev/null 127.0.0.1:$PP_PORT/health && break; sleep 0.1; done

# warm-up
$B/bench/pp_loadgen --target 127.0.0.1:$PP_PORT --body-file "$WORK/lead.json" --connections 4 --duration 1 >/dev/null

LIMIT=$($B/bench/pp_loadgen --target 127.0.0.1:$BUYER_PORT --path /post --body-file "$WORK/lead.json" \
        --connections $CONN --duration $DUR --expect accepted)
T0=$(cpu_ticks $PP_PID)
OURS=$($B/bench/pp_loadgen --target 127.0.0.1:$PP_PORT --body-file "$WORK/lead.json" \
       --connections $CONN --duration $DUR --expect ACCEPTED)
T1=$(cpu_ticks $PP_PID)

python3 - "$LIMIT" "$OURS" $((T1 - T0)) $HZ $DUR $CONN $THREADS <<'PY'
import json, sys, subprocess, datetime, platform
limit, ours = json.loads(sys.argv[1]), json.loads(sys.argv[2])
ticks, hz, dur, conn, threads = int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6], sys.argv[7]
cpu_us = ticks / hz * 1e6 / max(1, ours["requests"])
commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
print(f"direct post, 1 HTTP buyer on loopback; {conn} connections, {dur} s, pingpostd --threads {threads}; "
      f"{platform.node()} {subprocess.run(['nproc'],capture_output=True,text=True).stdout.strip()} cores; "
      f"{datetime.date.today()}; commit {commit}")
print()
print("| scenario | leads/s | p50 ms | p99 ms | p99.9 ms | errors | CPU per lead (pingpostd) |")
print("|---|---|---|---|---|---|---|")
print(f"| limit: loadgen -> fake buyer | {limit['rps']:.0f} | {limit['p50_ms']:.2f} | {limit['p99_ms']:.2f} | {limit['p999_ms']:.2f} | {limit['errors']+limit['mismatches']} | - |")
print(f"| pingpost /direct_post (validate, deliver, fsync'd store) | {ours['rps']:.0f} | {ours['p50_ms']:.2f} | {ours['p99_ms']:.2f} | {ours['p999_ms']:.2f} | {ours['errors']+ours['mismatches']} | {cpu_us:.0f} us |")
print()
print(f"ratio pingpost / limit: {ours['rps']/limit['rps']:.2f}")
PY
