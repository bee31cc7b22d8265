#!/usr/bin/env bash
# Seconds per training epoch of the LFG network: Rust/burn (this crate) beside JAX (CPU, jit),
# same network, batch size and epochs, on the ML-100k and ML-1M shapes, in the same run.
#
#   crates/lfg-model/benches/compare_jax.sh                 # flex only
#   DEVICES="flex cpu" crates/lfg-model/benches/compare_jax.sh   # also CubeCL CPU (feature cpu)
#   EPOCHS=3 BATCH=64 HIDDEN=512,256 SHAPES="ml-100k ml-1m" ...
#
# Needs: python3 with jax and optax (pip install "jax[cpu]" optax).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
EPOCHS="${EPOCHS:-3}"
BATCH="${BATCH:-64}"
HIDDEN="${HIDDEN:-512,256}"
SHAPES="${SHAPES:-ml-100k ml-1m}"
DEVICES="${DEVICES:-flex}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/work/target-release}"
features=()
if [[ " $DEVICES " == *" cpu "* ]]; then features=(--features cpu); fi

cd "$root"
cargo build --release -q -p lfg-model --example bench_epoch --example bench_epoch_mimalloc \
  "${features[@]}"
bin="$CARGO_TARGET_DIR/release/examples/bench_epoch"
out="$(mktemp)"
for shape in $SHAPES; do
  for dev in $DEVICES; do
    "$bin" --shape "$shape" --epochs "$((EPOCHS + 1))" --batch-size "$BATCH" --hidden "$HIDDEN" \
      --device "$dev" | tee -a "$out"
    # The same benchmark with mimalloc as the global allocator: burn allocates and frees
    # multi-megabyte tensors every step and glibc malloc returns them to the OS each time.
    "${bin}_mimalloc" --shape "$shape" --epochs "$((EPOCHS + 1))" --batch-size "$BATCH" \
      --hidden "$HIDDEN" --device "$dev" | tee -a "$out"
  done
  python3 "$here/peers/lfg_jax.py" --shape "$shape" --epochs "$EPOCHS" --batch-size "$BATCH" \
    --hidden "$HIDDEN" | tee -a "$out"
done
python3 - "$out" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
print()
print(f"{'shape':<8} {'implementation':<22} {'batch':>5} {'hidden':<10} {'s/epoch':>8} {'new user ms':>11}")
for r in rows:
    nu = r.get("new_user_rank_ms")
    print(f"{r['shape']:<8} {r['impl']:<22} {r['batch_size']:>5} {','.join(map(str, r['hidden'])):<10} "
          f"{r['seconds_per_epoch']:>8.3f} {'' if nu is None else f'{nu:.3f}':>11}")
PY
rm -f "$out"
