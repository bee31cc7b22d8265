//! Best-of-N fit time of `svd` and `bias-svd` (both SGD orders) on one ML-100k split, with a
//! checksum of the fitted parameters (to check that a faster kernel gives the same bits).
//!
//! `cargo run --release -p lfg-baselines --example fit_speed -- <ml-100k dir> [u1] [reps] [k]`
#![allow(clippy::print_stdout)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::path::PathBuf;
use std::time::Instant;

use lfg_baselines::{BaselineParams, FittedBaseline, SgdOrder, SvdParams};
use lfg_core::model::NoObserver;

fn checksum(m: &FittedBaseline) -> u64 {
    let json = serde_json::to_vec(m).expect("serialise");
    json.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().expect("ml-100k dir"));
    let split = args.next().unwrap_or_else(|| "u1".into());
    let reps: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(10);
    let k: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(50);
    let train = common::read_split(&dir.join(format!("{split}.base")));
    let test = common::read_split(&dir.join(format!("{split}.test")));
    for order in [SgdOrder::Shuffle, SgdOrder::ByUser] {
        let p = SvdParams {
            factors: k,
            epochs: 20,
            order,
            ..SvdParams::default()
        };
        for (name, params) in [
            ("svd", BaselineParams::Svd(p.clone())),
            ("bias-svd", BaselineParams::BiasSvd(p.clone())),
        ] {
            let mut best = f64::INFINITY;
            let mut last = None;
            for _ in 0..reps {
                let start = Instant::now();
                let m = params.fit(&train, 7, &NoObserver).expect("fit");
                best = best.min(start.elapsed().as_secs_f64());
                last = Some(m);
            }
            let m = last.expect("reps > 0");
            println!(
                "{name:9} {order:?}\tbest {:.2} ms\trmse {:.5}\tchecksum {:016x}",
                best * 1e3,
                common::rmse(&m, &test),
                checksum(&m)
            );
        }
    }
}
