#!/usr/bin/env bash
# Runs every libFuzzer target for SECONDS each, from its seed corpus (tests/fuzz/corpus/<target>)
# plus what earlier runs found (BUILD/fuzz-corpus/<target>), and prints executions per target.
#   scripts/fuzz.sh BUILD_DIR SECONDS
# A crash stops with the reproducer saved as BUILD/fuzz-artifacts/<target>/crash-*.
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build-fuzz}; S=${2:-60}
printf '| target | seconds | executions | exec/s | corpus | result |\n|---|---|---|---|---|---|\n'
status=0
for t in intake template response condition query config checks; do
  mkdir -p "$B/fuzz-corpus/$t" "$B/fuzz-artifacts/$t"
  log="$B/fuzz-artifacts/$t/last.log"
  max_len=8192
  [ "$t" = config ] && max_len=65536  # whole configuration documents
  if ASAN_OPTIONS=detect_leaks=1 "$B/fuzz/fuzz_$t" -max_total_time="$S" -print_final_stats=1 \
      -artifact_prefix="$B/fuzz-artifacts/$t/" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
      "$B/fuzz-corpus/$t" "tests/fuzz/corpus/$t" > "$log" 2>&1; then
    result=ok
  else
    result="FAILED (see $log)"; status=1
  fi
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  corpus=$(ls "$B/fuzz-corpus/$t" | wc -l)
  printf '| %s | %s | %s | %s | %s | %s |\n' "$t" "$S" "$execs" "$((execs / S))" "$corpus" "$result"
done
exit $status
