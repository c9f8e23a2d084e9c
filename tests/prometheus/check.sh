#!/usr/bin/env bash
# The shipped Prometheus rules (configs/prometheus): valid, and raising exactly the alerts their
# unit tests expect (promtool from Debian's prometheus package; scripts/install-deps.sh --promtool).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
promtool check rules "$here/../../configs/prometheus/pingpost-alerts.yml"
cd "$here" && promtool test rules pingpost-alerts.test.yml
