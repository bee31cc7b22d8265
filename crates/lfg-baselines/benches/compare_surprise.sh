#!/usr/bin/env bash
# Side-by-side RMSE and fit time of lfg-baselines vs Surprise on one ML-100k split.
# usage: crates/lfg-baselines/benches/compare_surprise.sh [split] [seeds] [svdpp_seeds]
# needs: LFG_DATA_DIR (default /work/shared/data), python3 with scikit-surprise.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
data="${LFG_DATA_DIR:-/work/shared/data}/ml-100k"
split="${1:-u1}"; seeds="${2:-3}"; pp_seeds="${3:-1}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/work/target-release}"
out="$(mktemp)"
cargo run --quiet --release -p lfg-baselines --example compare -- "$data" "$split" "$seeds" | tee -a "$out"
python3 "$here/peers/surprise_compare.py" "$data" "$split" "$seeds" "$pp_seeds" | tee -a "$out"
python3 - "$out" <<'PY'
import sys, collections
rows = collections.defaultdict(list)
for line in open(sys.argv[1]):
    impl, model, seed, rmse, wall, cpu = line.rstrip("\n").split("\t")
    rows[(impl, model)].append((rmse, float(wall), float(cpu)))
mean = lambda xs: sum(xs) / len(xs)
print("\nRMSE: mean over seeds; time: best fit over seeds (wall clock and thread CPU time)")
print(f"{'model':9} {'lfg rmse':>9} {'surprise':>9} {'diff':>8} | {'lfg wall':>9} {'sur wall':>9} {'x':>6} | {'lfg cpu':>8} {'sur cpu':>8} {'x':>6}")
for model in ["svd", "bias-svd", "svd-pp"]:
    a, b = rows.get(("lfg", model)), rows.get(("surprise", model))
    if not a or not b:
        continue
    ra, rb = mean([float(r) for r, _, _ in a]), mean([float(r) for r, _, _ in b])
    wa, wb = min(w for _, w, _ in a), min(w for _, w, _ in b)
    ca, cb = min(c for _, _, c in a), min(c for _, _, c in b)
    print(f"{model:9} {ra:9.4f} {rb:9.4f} {ra - rb:+8.4f} | {wa:9.4f} {wb:9.3f} {wb / wa:5.1f}x | {ca:8.4f} {cb:8.3f} {cb / ca:5.1f}x")
f = rows.get(("lfg", "fold-in-20-k50"))
if f:
    print(f"fold-in of one new user (20 ratings, bias-svd k=50): {f[0][1] * 1e6:.1f} us wall, {f[0][2] * 1e6:.1f} us CPU")
PY
rm -f "$out"
