#!/usr/bin/env bash
# ML-1M load time: lfg-data (Polars, release) beside pandas read_csv, in the same run.
# Usage: LFG_DATA_DIR=/work/shared/data crates/lfg-data/benches/compare_load.sh
# Needs: python3 with pandas (pip install pandas).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
: "${LFG_DATA_DIR:?set LFG_DATA_DIR to the folder holding ml-1m/}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"

echo "== machine: $(nproc) cores; $(date -u +%FT%TZ)"
echo "== lfg-data (criterion, release): full ML-1M load = ratings + users + movies + features"
(cd "$root" && cargo bench -p lfg-data --bench load -- --noplot 'load/ml-1m' 2>&1) |
  grep -E "^load/|time:" || true
echo "== pandas $(python3 -c 'import pandas; print(pandas.__version__)'): read_csv of ratings.dat only"
python3 "$here/peers/pandas_load.py" "$LFG_DATA_DIR" 5 |
  awk '{printf "%-28s best %.1f ms  median %.1f ms  rows %d\n", $1" "$2, $3*1000, $4*1000, $5}'
