//! `bench_epoch` with mimalloc as the global allocator (burn allocates and frees
//! parameter-sized tensors every step; see `benches/README.md`).
//!
//! Seconds per training epoch of the LFG network on ML-100k / ML-1M shapes (random sparse
//! ratings of the real density), and the latency of serving one new user (generate factors +
//! rank every item).
//!
//! ```text
//! CARGO_TARGET_DIR=/work/target-release cargo run --release -p lfg-model --example bench_epoch -- \
//!     --shape ml-1m --epochs 3 --batch-size 64 --device flex
//! ```
//! Prints one JSON line per run (see `benches/compare_jax.sh`).
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod bench_common;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    bench_common::run("+mimalloc");
}
