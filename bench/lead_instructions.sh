#!/usr/bin/env bash
# Instructions per lead on the whole lead path (issue 16), counted by callgrind: repeatable to
# the instruction, where timings on a shared 2-core VM move by ±20% from one minute to the next.
#   bash bench/lead_instructions.sh [BUILD_DIR] [direct|exchange] [N] [REPS]
# Runs BM_DirectPostLead or BM_ExchangeLead (bench/micro/lead_path_micro.cpp) for N and 2N leads
# and prints (I(2N) - I(N)) / N: start-up (configuration, RocksDB open) cancels out. Every thread
# counts (the commit thread's memtable inserts included). Direct post repeats within 0.3%; the
# exchange within about 4% (its pings, group commits and background flushes interleave
# differently from run to run), so REPS runs (default 3) give the median. The last 2N run's
# profile stays in /tmp/pp-leadpath.<mode>.out for callgrind_annotate.
set -euo pipefail
BUILD=${1:-build-release}
MODE=${2:-direct}
N=${3:-200}
REPS=${4:-3}
case "$MODE" in
  direct) FILTER='BM_DirectPostLead' ;;
  exchange) FILTER='BM_ExchangeLead' ;;
  *) echo "mode: direct or exchange" >&2; exit 2 ;;
esac
command -v valgrind >/dev/null || { echo "valgrind is missing (apt-get install valgrind)" >&2; exit 2; }
count() {
  local n=$1 out=$2
  PP_MICRO_ITERATIONS=$n valgrind --tool=callgrind --callgrind-out-file="$out" \
    "$BUILD/bench/pp_micro" --benchmark_filter="$FILTER" 2>&1 | sed -n 's/.*Collected : \([0-9]*\).*/\1/p' | tail -1
}
runs=()
for _ in $(seq "$REPS"); do
  a=$(count "$N" /tmp/pp-leadpath.$MODE.small.out)
  b=$(count $((2 * N)) /tmp/pp-leadpath.$MODE.out)
  runs+=($(( (b - a) / N )))
done
rm -f /tmp/pp-leadpath.$MODE.small.out
median=$(printf '%s\n' "${runs[@]}" | sort -n | sed -n "$(( (REPS + 1) / 2 ))p")
echo "$MODE: $median instructions per lead (median of ${runs[*]}; callgrind, $N and $((2 * N)) leads, $BUILD)"
