//! Paired comparison of two models: paired t-test over folds, user-level bootstrap of the
//! RMSE difference, and the sentence reports print ("A beats B by ...").

use lfg_core::Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{EvalError, check_finite_f32, check_len};
use crate::rating::per_user_sums;
use crate::rng::child_seed;
use crate::special::student_t_two_sided_p;
use crate::stats::{mean_std, t_interval};

/// Paired t-test of `a - b` over matched observations (folds).
///
/// Undefined values are NaN (JSON `null`): everything for fewer than two pairs or slices of
/// different lengths (then `n` is 0); `t` and `p_value` when all differences are equal to 0
/// (as scipy). Differences all equal but non-zero give `t = ±inf`, `p_value = 0`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct PairedTest {
    /// Number of pairs.
    pub n: usize,
    /// Mean of `a - b`.
    #[serde(with = "crate::nan_null")]
    pub mean_diff: f64,
    /// Sample standard deviation of `a - b`.
    #[serde(with = "crate::nan_null")]
    pub std_diff: f64,
    /// `mean_diff / (std_diff / sqrt(n))`.
    #[serde(with = "crate::nan_null")]
    pub t: f64,
    /// Degrees of freedom, `n - 1`.
    pub df: usize,
    /// Two-sided p-value from the Student t distribution with `df` degrees of freedom.
    #[serde(with = "crate::nan_null")]
    pub p_value: f64,
    /// Lower end of the Student-t 95% interval of the mean difference.
    #[serde(with = "crate::nan_null")]
    pub ci95_low: f64,
    /// Upper end of that interval.
    #[serde(with = "crate::nan_null")]
    pub ci95_high: f64,
}

/// Paired t-test of `a[i] - b[i]` (e.g. per-fold RMSE of two models on the same folds); the
/// same statistic as `scipy.stats.ttest_rel(a, b)`. Never panics; see [`PairedTest`] for the
/// undefined cases.
pub fn paired_t_test(a: &[f64], b: &[f64]) -> PairedTest {
    let undefined = PairedTest {
        n: 0,
        mean_diff: f64::NAN,
        std_diff: f64::NAN,
        t: f64::NAN,
        df: 0,
        p_value: f64::NAN,
        ci95_low: f64::NAN,
        ci95_high: f64::NAN,
    };
    if a.len() != b.len() || a.len() < 2 {
        return undefined;
    }
    let n = a.len();
    let d: Vec<f64> = a.iter().zip(b).map(|(x, y)| x - y).collect();
    let (mean, std) = mean_std(&d);
    let t = mean / (std / (n as f64).sqrt());
    let df = n - 1;
    let (ci95_low, ci95_high) = t_interval(mean, std, n, 0.95);
    PairedTest {
        n,
        mean_diff: mean,
        std_diff: std,
        t,
        df,
        p_value: student_t_two_sided_p(t, df as f64),
        ci95_low,
        ci95_high,
    }
}

/// Percentile bootstrap interval of `RMSE(a) - RMSE(b)` over resampled users.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct BootstrapCi {
    /// `RMSE(pred_a) - RMSE(pred_b)` on the full test set (negative: A is better).
    pub diff: f64,
    /// Lower percentile of the bootstrap replicates.
    pub low: f64,
    /// Upper percentile.
    pub high: f64,
    /// Confidence level, e.g. 0.95.
    pub level: f64,
    /// Standard deviation of the replicates (bootstrap standard error).
    pub std_error: f64,
    /// Number of bootstrap replicates.
    pub n_boot: usize,
    /// Number of distinct users resampled.
    pub n_users: usize,
}

/// [`bootstrap_rmse_diff_level`] at the 95% level.
///
/// # Errors
/// As [`bootstrap_rmse_diff_level`].
pub fn bootstrap_rmse_diff(
    users: &[u32],
    pred_a: &[f32],
    pred_b: &[f32],
    truth: &[f32],
    n_boot: usize,
    seed: u64,
) -> Result<BootstrapCi, EvalError> {
    bootstrap_rmse_diff_level(users, pred_a, pred_b, truth, n_boot, seed, 0.95)
}

/// Bootstrap confidence interval of `RMSE(pred_a) - RMSE(pred_b)` on one test set, resampling
/// users with replacement (all test ratings of a drawn user come along; RMSE is pooled over the
/// drawn ratings). Replicate `r` draws from its own generator seeded by `(seed, r)`, so the
/// result is bit-identical for a given seed whatever the thread count. The interval is the
/// percentile interval `[q((1-level)/2), q((1+level)/2)]` of the replicates, with linear
/// interpolation between order statistics (numpy's default).
///
/// # Errors
/// Slices of different lengths, no test pairs, a non-finite value, `n_boot == 0` or `level`
/// outside `(0, 1)`.
pub fn bootstrap_rmse_diff_level(
    users: &[u32],
    pred_a: &[f32],
    pred_b: &[f32],
    truth: &[f32],
    n_boot: usize,
    seed: u64,
    level: f64,
) -> Result<BootstrapCi, EvalError> {
    check_len("pred_a", pred_a.len(), "truth", truth.len())?;
    check_len("pred_b", pred_b.len(), "truth", truth.len())?;
    check_len("users", users.len(), "truth", truth.len())?;
    if truth.is_empty() {
        return Err(EvalError::Empty {
            what: "truth",
            min: 1,
        });
    }
    if n_boot == 0 {
        return Err(EvalError::InvalidParameter {
            name: "n-boot",
            value: n_boot.to_string(),
            reason: "at least one bootstrap replicate is needed",
        });
    }
    if !(level > 0.0 && level < 1.0) {
        return Err(EvalError::InvalidParameter {
            name: "level",
            value: level.to_string(),
            reason: "the confidence level must lie strictly between 0 and 1",
        });
    }
    check_finite_f32("pred_a", pred_a)?;
    check_finite_f32("pred_b", pred_b)?;
    check_finite_f32("truth", truth)?;

    let groups = per_user_sums(users, |r| {
        let t = f64::from(truth[r]);
        let ea = f64::from(pred_a[r]) - t;
        let eb = f64::from(pred_b[r]) - t;
        [ea * ea, eb * eb]
    });
    let rmse_diff = |count: f64, sa: f64, sb: f64| (sa / count).sqrt() - (sb / count).sqrt();
    let (sa, sb) = groups
        .iter()
        .fold((0.0, 0.0), |(a, b), g| (a + g.sums[0], b + g.sums[1]));
    let diff = rmse_diff(truth.len() as f64, sa, sb);

    let n_groups = groups.len() as u64;
    let mut reps: Vec<f64> = (0..n_boot as u64)
        .into_par_iter()
        .map(|r| {
            let mut rng = Rng::new(child_seed(seed, r));
            let (mut c, mut a, mut b) = (0_u64, 0.0_f64, 0.0_f64);
            for _ in 0..n_groups {
                let g = &groups[rng.below(n_groups) as usize];
                c += g.count;
                a += g.sums[0];
                b += g.sums[1];
            }
            rmse_diff(c as f64, a, b)
        })
        .collect();
    let (_, std_error) = mean_std(&reps);
    reps.sort_unstable_by(f64::total_cmp);
    let alpha = 1.0 - level;
    Ok(BootstrapCi {
        diff,
        low: percentile_sorted(&reps, 0.5 * alpha),
        high: percentile_sorted(&reps, 1.0 - 0.5 * alpha),
        level,
        std_error: if n_boot > 1 { std_error } else { 0.0 },
        n_boot,
        n_users: groups.len(),
    })
}

/// Quantile `q` in `[0, 1]` of ascending, non-empty `xs` with linear interpolation.
fn percentile_sorted(xs: &[f64], q: f64) -> f64 {
    let h = (xs.len() - 1) as f64 * q;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(xs.len() - 1);
    xs[lo] + (h - lo as f64) * (xs[hi] - xs[lo])
}

/// A difference `a - b` of one metric with a confidence interval and optionally a p-value:
/// the input of [`comparison_sentence`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Difference {
    /// `a - b`.
    pub diff: f64,
    /// Lower end of the interval of `a - b`.
    pub low: f64,
    /// Upper end of the interval of `a - b`.
    pub high: f64,
    /// Confidence level of the interval.
    pub level: f64,
    /// Paired t-test p-value, when one is to be quoted.
    pub p_value: Option<f64>,
}

impl Difference {
    /// Mean difference, t interval and p-value of a paired t-test.
    pub fn from_paired(t: &PairedTest) -> Self {
        Self {
            diff: t.mean_diff,
            low: t.ci95_low,
            high: t.ci95_high,
            level: 0.95,
            p_value: Some(t.p_value),
        }
    }

    /// RMSE difference and percentile interval of a bootstrap (no p-value).
    pub fn from_bootstrap(b: &BootstrapCi) -> Self {
        Self {
            diff: b.diff,
            low: b.low,
            high: b.high,
            level: b.level,
            p_value: None,
        }
    }

    /// The same difference quoting `p` as its paired t-test p-value.
    pub fn with_p_value(self, p: f64) -> Self {
        Self {
            p_value: Some(p),
            ..self
        }
    }
}

fn format_p(p: f64) -> String {
    if p.is_nan() {
        "p=n/a".to_owned()
    } else if p < 0.001 {
        "p<0.001".to_owned()
    } else {
        format!("p={p:.3}")
    }
}

/// One sentence stating which model wins and by how much, e.g.
/// `"A beats B by 0.0123 RMSE (95% CI 0.0051 to 0.0190, paired t p=0.003)"`.
///
/// `d` holds `a - b`; with `lower_is_better` (RMSE, MAE) a negative difference means A wins.
/// The margin and interval are stated as the winner's gain (positive = better). Values are
/// printed with 4 decimals; p-values below 0.001 as `p<0.001`.
pub fn comparison_sentence(
    name_a: &str,
    name_b: &str,
    metric: &str,
    lower_is_better: bool,
    d: &Difference,
) -> String {
    let level = format!("{:.0}%", 100.0 * d.level);
    let p = d
        .p_value
        .map(|p| format!(", paired t {}", format_p(p)))
        .unwrap_or_default();
    if d.diff.is_nan() {
        return format!("{name_a} vs {name_b}: {metric} difference undefined");
    }
    if d.diff == 0.0 {
        return format!(
            "{name_a} and {name_b} tie on {metric} ({level} CI of the difference {:.4} to {:.4}{p})",
            d.low, d.high
        );
    }
    // gain of A over B, positive when A is better
    let sign = if lower_is_better { -1.0 } else { 1.0 };
    let (winner, loser, s) = if sign * d.diff > 0.0 {
        (name_a, name_b, sign)
    } else {
        (name_b, name_a, -sign)
    };
    let (x, y) = (s * d.low, s * d.high);
    let (lo, hi) = if x <= y { (x, y) } else { (y, x) };
    format!(
        "{winner} beats {loser} by {:.4} {metric} ({level} CI {lo:.4} to {hi:.4}{p})",
        s * d.diff
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rating::rmse;

    #[test]
    fn paired_t_hand_computed() {
        // d = a - b = [0.1, 0.2, 0.3]: mean 0.2, sd 0.1, t = 0.2 / (0.1 / sqrt 3) = 2 sqrt 3.
        // df = 2: two-sided p = 1 - t / sqrt(2 + t²) = 1 - sqrt(12/14).
        let a = [1.1, 1.2, 1.3];
        let b = [1.0, 1.0, 1.0];
        let r = paired_t_test(&a, &b);
        assert_eq!((r.n, r.df), (3, 2));
        assert!((r.mean_diff - 0.2).abs() < 1e-12);
        assert!((r.std_diff - 0.1).abs() < 1e-12);
        assert!((r.t - 2.0 * 3.0_f64.sqrt()).abs() < 1e-10);
        assert!((r.p_value - (1.0 - (12.0_f64 / 14.0).sqrt())).abs() < 1e-10);
        assert!(r.ci95_low < 0.2 && r.ci95_high > 0.2);
        // swapping the models flips the sign, keeps p
        let s = paired_t_test(&b, &a);
        assert!((s.t + r.t).abs() < 1e-12);
        assert!((s.p_value - r.p_value).abs() < 1e-15);
    }

    #[test]
    fn paired_t_degenerate() {
        assert_eq!(paired_t_test(&[1.0], &[2.0]).n, 0);
        assert!(paired_t_test(&[1.0, 2.0], &[2.0]).p_value.is_nan());
        let same = paired_t_test(&[1.0, 2.0, 3.0], &[1.0, 2.0, 3.0]);
        assert!(same.t.is_nan() && same.p_value.is_nan());
        assert_eq!(same.mean_diff, 0.0);
        let shifted = paired_t_test(&[1.5, 2.5, 3.5], &[1.0, 2.0, 3.0]);
        assert_eq!(shifted.t, f64::INFINITY);
        assert_eq!(shifted.p_value, 0.0);
    }

    fn synthetic(n_users: u32, per_user: u32) -> (Vec<u32>, Vec<f32>, Vec<f32>, Vec<f32>) {
        let mut rng = Rng::new(99);
        let (mut u, mut a, mut b, mut t) = (vec![], vec![], vec![], vec![]);
        for user in 0..n_users {
            for _ in 0..per_user {
                let truth = 1.0 + rng.below(5) as f32;
                let noise = (rng.below(1000) as f32 / 1000.0 - 0.5) * 2.0;
                u.push(user);
                t.push(truth);
                a.push(truth + 0.6 * noise);
                b.push(truth + noise);
            }
        }
        (u, a, b, t)
    }

    #[test]
    fn bootstrap_is_seeded_and_brackets_the_difference() {
        let (u, a, b, t) = synthetic(200, 8);
        let ci = bootstrap_rmse_diff(&u, &a, &b, &t, 400, 7).unwrap();
        assert!((ci.diff - (rmse(&a, &t) - rmse(&b, &t))).abs() < 1e-12);
        assert!(ci.low <= ci.diff && ci.diff <= ci.high, "{ci:?}");
        assert!(ci.high < 0.0, "A has smaller errors everywhere: {ci:?}");
        assert!(ci.std_error > 0.0);
        assert_eq!((ci.n_boot, ci.n_users, ci.level), (400, 200, 0.95));
        let again = bootstrap_rmse_diff(&u, &a, &b, &t, 400, 7).unwrap();
        assert_eq!(again, ci);
        let other = bootstrap_rmse_diff(&u, &a, &b, &t, 400, 8).unwrap();
        assert_ne!(other.low, ci.low);
        // same result on a single thread
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let single = pool.install(|| bootstrap_rmse_diff(&u, &a, &b, &t, 400, 7).unwrap());
        assert_eq!(single, ci);
        // a narrower level gives a narrower interval
        let ci80 = bootstrap_rmse_diff_level(&u, &a, &b, &t, 400, 7, 0.8).unwrap();
        assert!(ci80.low >= ci.low && ci80.high <= ci.high);
    }

    #[test]
    fn bootstrap_of_identical_models_is_zero() {
        let (u, a, _, t) = synthetic(30, 3);
        let ci = bootstrap_rmse_diff(&u, &a, &a, &t, 50, 1).unwrap();
        assert_eq!(
            (ci.diff, ci.low, ci.high, ci.std_error),
            (0.0, 0.0, 0.0, 0.0)
        );
    }

    #[test]
    fn bootstrap_errors() {
        let e = bootstrap_rmse_diff(&[0], &[1.0], &[1.0, 2.0], &[1.0], 10, 0).unwrap_err();
        assert!(matches!(
            e,
            EvalError::LengthMismatch { what: "pred_b", .. }
        ));
        let e = bootstrap_rmse_diff(&[0], &[1.0], &[1.0], &[1.0], 0, 0).unwrap_err();
        assert!(matches!(
            e,
            EvalError::InvalidParameter { name: "n-boot", .. }
        ));
        let e = bootstrap_rmse_diff_level(&[0], &[1.0], &[1.0], &[1.0], 5, 0, 1.0).unwrap_err();
        assert!(matches!(
            e,
            EvalError::InvalidParameter { name: "level", .. }
        ));
        let e = bootstrap_rmse_diff(&[], &[], &[], &[], 5, 0).unwrap_err();
        assert!(matches!(e, EvalError::Empty { .. }));
        let e = bootstrap_rmse_diff(&[0], &[f32::INFINITY], &[1.0], &[1.0], 5, 0).unwrap_err();
        assert!(matches!(e, EvalError::NonFinite { what: "pred_a", .. }));
    }

    #[test]
    fn percentile_matches_numpy_linear() {
        let xs = [1.0, 2.0, 4.0, 8.0];
        // numpy.percentile([1,2,4,8], [0, 2.5, 50, 97.5, 100]) = [1, 1.075, 3, 7.7, 8]
        let expect = [
            (0.0, 1.0),
            (0.025, 1.075),
            (0.5, 3.0),
            (0.975, 7.7),
            (1.0, 8.0),
        ];
        for (q, v) in expect {
            assert!((percentile_sorted(&xs, q) - v).abs() < 1e-12, "q={q}");
        }
    }

    #[test]
    fn sentences() {
        let d = Difference {
            diff: -0.0123,
            low: -0.0190,
            high: -0.0051,
            level: 0.95,
            p_value: Some(0.003),
        };
        assert_eq!(
            comparison_sentence("A", "B", "RMSE", true, &d),
            "A beats B by 0.0123 RMSE (95% CI 0.0051 to 0.0190, paired t p=0.003)"
        );
        // the same numbers for a higher-is-better metric: B wins
        assert_eq!(
            comparison_sentence("A", "B", "NDCG@10", false, &d),
            "B beats A by 0.0123 NDCG@10 (95% CI 0.0051 to 0.0190, paired t p=0.003)"
        );
        let d = Difference {
            diff: 0.002,
            low: -0.001,
            high: 0.005,
            level: 0.9,
            p_value: Some(1e-5),
        };
        assert_eq!(
            comparison_sentence("LFG", "SVD", "RMSE", true, &d),
            "SVD beats LFG by 0.0020 RMSE (90% CI -0.0010 to 0.0050, paired t p<0.001)"
        );
        let b = BootstrapCi {
            diff: 0.0,
            low: -0.01,
            high: 0.01,
            level: 0.95,
            std_error: 0.005,
            n_boot: 10,
            n_users: 3,
        };
        assert_eq!(
            comparison_sentence("A", "B", "RMSE", true, &Difference::from_bootstrap(&b)),
            "A and B tie on RMSE (95% CI of the difference -0.0100 to 0.0100)"
        );
        let t = paired_t_test(&[0.90, 0.91, 0.93], &[0.95, 0.97, 0.96]);
        let s = comparison_sentence("A", "B", "RMSE", true, &Difference::from_paired(&t));
        assert!(s.starts_with("A beats B by 0.0467 RMSE (95% CI "), "{s}");
        assert!(s.contains("paired t p="), "{s}");
    }
}
