//! ML-1M (and ML-100k) load time. Needs `LFG_DATA_DIR` (skips with a notice otherwise).
//!
//! `cargo bench -p lfg-data --bench load`; `benches/compare_load.sh` runs it beside pandas.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use lfg_data::{DatasetId, load};

fn data_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(std::env::var_os("LFG_DATA_DIR")?);
    dir.join("ml-1m/ratings.dat").is_file().then_some(dir)
}

#[allow(clippy::print_stderr)]
fn bench_load(c: &mut Criterion) {
    let Some(dir) = data_dir() else {
        eprintln!("LFG_DATA_DIR with ml-1m/ratings.dat not set: skipping the load benchmark");
        return;
    };
    let mut g = c.benchmark_group("load");
    g.sample_size(20).measurement_time(Duration::from_secs(10));
    g.bench_function("ml-1m", |b| {
        b.iter(|| black_box(load(&DatasetId::Ml1m, &dir).expect("ML-1M loads")))
    });
    if dir.join("ml-100k/u.data").is_file() {
        g.bench_function("ml-100k", |b| {
            b.iter(|| black_box(load(&DatasetId::Ml100k, &dir).expect("ML-100k loads")))
        });
    }
    g.finish();
}

criterion_group!(benches, bench_load);
criterion_main!(benches);
