//! Fold statistics and metric directions.

/// Mean, sample standard deviation and 95% t-interval of per-fold values.
///
/// Computed by `lfg_eval::fold_stats` (sample std with n - 1, Student-t 95% interval of the
/// mean) over the finite values; a single value gets std 0 and a degenerate interval here so
/// that tables print `x ± 0.0000` rather than `NaN`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Stats {
    pub n: usize,
    pub mean: f64,
    pub std: f64,
    pub ci_low: f64,
    pub ci_high: f64,
}

/// Statistics of the finite values in `values`; `None` when there are none.
pub(crate) fn stats(values: &[f64]) -> Option<Stats> {
    let v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    let f = lfg_eval::fold_stats(&v);
    let or = |x: f64, d: f64| if x.is_finite() { x } else { d };
    Some(Stats {
        n: f.n,
        mean: f.mean,
        std: or(f.std, 0.0),
        ci_low: or(f.ci95_low, f.mean),
        ci_high: or(f.ci95_high, f.mean),
    })
}

/// Whether lower values of `metric` are better.
///
/// Error metrics (names containing `rmse`, `mae`, `mse`, `loss` or `error`) and times are
/// lower-is-better; everything else (precision, recall, ndcg, map, hit rate, coverage) is
/// higher-is-better.
pub fn lower_is_better(metric: &str) -> bool {
    let m = metric.to_ascii_lowercase();
    ["rmse", "mae", "mse", "loss", "error", "seconds", "time"]
        .iter()
        .any(|k| m.contains(k))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_match_hand_computation() {
        let s = stats(&[1.0, 2.0, 3.0, 4.0, 5.0]).expect("values");
        assert_eq!(s.n, 5);
        assert!((s.mean - 3.0).abs() < 1e-12);
        assert!((s.std - 2.5f64.sqrt()).abs() < 1e-12);
        // t(0.975, 4) = 2.776445
        let half = 2.776445 * 2.5f64.sqrt() / 5f64.sqrt();
        assert!((s.ci_high - 3.0 - half).abs() < 1e-5);
        assert!((3.0 - s.ci_low - half).abs() < 1e-5);
        assert!(stats(&[]).is_none());
        assert!(stats(&[f64::NAN]).is_none());
        let one = stats(&[0.9]).expect("one value");
        assert_eq!((one.std, one.ci_low, one.ci_high), (0.0, 0.9, 0.9));
    }

    #[test]
    fn metric_directions() {
        for m in ["rmse", "mae", "per-user-rmse", "valid-rmse", "train-loss"] {
            assert!(lower_is_better(m), "{m}");
        }
        for m in ["precision@10", "recall@10", "ndcg@10", "map"] {
            assert!(!lower_is_better(m), "{m}");
        }
    }
}
