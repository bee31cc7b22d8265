//! Summary statistics of a metric over cross-validation folds.

use serde::{Deserialize, Serialize};

use crate::special::student_t_quantile;

/// Mean, spread and Student-t 95% confidence interval of per-fold values.
///
/// Undefined values are NaN (written `null` in JSON): everything but `n` for no folds, and
/// `std` and the interval for a single fold. A NaN among the values makes every field NaN.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct FoldStats {
    /// Number of folds.
    pub n: usize,
    /// Arithmetic mean.
    #[serde(with = "crate::nan_null")]
    pub mean: f64,
    /// Sample standard deviation (divisor `n - 1`).
    #[serde(with = "crate::nan_null")]
    pub std: f64,
    /// Lower end of the 95% interval `mean ± t_{0.975, n-1} · std / sqrt(n)`.
    #[serde(with = "crate::nan_null")]
    pub ci95_low: f64,
    /// Upper end of the 95% interval.
    #[serde(with = "crate::nan_null")]
    pub ci95_high: f64,
    /// Smallest value.
    #[serde(with = "crate::nan_null")]
    pub min: f64,
    /// Largest value.
    #[serde(with = "crate::nan_null")]
    pub max: f64,
}

/// Mean and sample standard deviation (two-pass); NaN where undefined.
pub(crate) fn mean_std(xs: &[f64]) -> (f64, f64) {
    let n = xs.len();
    if n == 0 {
        return (f64::NAN, f64::NAN);
    }
    let mean = xs.iter().sum::<f64>() / n as f64;
    if n == 1 {
        return (mean, f64::NAN);
    }
    let ss: f64 = xs.iter().map(|x| (x - mean) * (x - mean)).sum();
    (mean, (ss / (n - 1) as f64).sqrt())
}

/// Two-sided Student-t confidence interval of a mean: `mean ± t_{(1+level)/2, n-1} · sem`.
pub(crate) fn t_interval(mean: f64, std: f64, n: usize, level: f64) -> (f64, f64) {
    if n < 2 {
        return (f64::NAN, f64::NAN);
    }
    let q = student_t_quantile(0.5 + 0.5 * level, (n - 1) as f64);
    let half = q * std / (n as f64).sqrt();
    (mean - half, mean + half)
}

/// Summary of per-fold values (see [`FoldStats`]); never panics.
pub fn fold_stats(values: &[f64]) -> FoldStats {
    let n = values.len();
    if values.iter().any(|x| x.is_nan()) {
        return FoldStats {
            n,
            mean: f64::NAN,
            std: f64::NAN,
            ci95_low: f64::NAN,
            ci95_high: f64::NAN,
            min: f64::NAN,
            max: f64::NAN,
        };
    }
    let (mean, std) = mean_std(values);
    let (ci95_low, ci95_high) = t_interval(mean, std, n, 0.95);
    let (min, max) = if n == 0 {
        (f64::NAN, f64::NAN)
    } else {
        values
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| {
                (lo.min(x), hi.max(x))
            })
    };
    FoldStats {
        n,
        mean,
        std,
        ci95_low,
        ci95_high,
        min,
        max,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed_five_folds() {
        // values 1..=5: mean 3, sample variance 2.5, t_{0.975,4} = 2.7764451051977987
        let s = fold_stats(&[3.0, 1.0, 5.0, 2.0, 4.0]);
        assert_eq!(s.n, 5);
        assert!((s.mean - 3.0).abs() < 1e-15);
        assert!((s.std - 2.5_f64.sqrt()).abs() < 1e-14);
        let half = 2.776_445_105_197_798_7 * (2.5_f64 / 5.0).sqrt();
        assert!((s.ci95_low - (3.0 - half)).abs() < 1e-10);
        assert!((s.ci95_high - (3.0 + half)).abs() < 1e-10);
        assert_eq!((s.min, s.max), (1.0, 5.0));
    }

    #[test]
    fn constant_values_have_zero_width() {
        let s = fold_stats(&[0.75; 4]);
        assert_eq!(s.std, 0.0);
        assert_eq!((s.ci95_low, s.ci95_high), (0.75, 0.75));
    }

    #[test]
    fn degenerate_inputs() {
        let s = fold_stats(&[]);
        assert_eq!(s.n, 0);
        assert!(s.mean.is_nan() && s.min.is_nan() && s.ci95_low.is_nan());
        let s = fold_stats(&[0.87]);
        assert_eq!((s.mean, s.min, s.max), (0.87, 0.87, 0.87));
        assert!(s.std.is_nan() && s.ci95_high.is_nan());
        let s = fold_stats(&[1.0, f64::NAN]);
        assert!(s.mean.is_nan() && s.min.is_nan() && s.max.is_nan());
    }

    #[test]
    fn serde_round_trip_keeps_undefined_fields() {
        let s = fold_stats(&[0.87]);
        let json = serde_json::to_string(&s).unwrap();
        assert!(json.contains("\"ci95-low\":null"), "{json}");
        let back: FoldStats = serde_json::from_str(&json).unwrap();
        assert_eq!(back.mean, 0.87);
        assert!(back.std.is_nan());
        let s = fold_stats(&[0.8, 0.9, 1.0]);
        let back: FoldStats = serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
        assert_eq!(back, s);
    }
}
