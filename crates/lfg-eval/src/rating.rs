//! Rating-prediction metrics: RMSE, MAE, per-user RMSE and prediction coverage.
//!
//! All sums are accumulated in `f64` in input order. The free functions follow the design
//! contract (`-> f64`) and never panic: an empty input or slices of different lengths give
//! NaN. [`RatingMetrics::compute`] validates its input and returns a typed error instead.

use serde::{Deserialize, Serialize};

use crate::error::{EvalError, check_finite_f32, check_len};

/// Root mean squared error over all pairs, `sqrt(1/N Σ (pred - truth)²)` (the paper's metric).
/// NaN when the slices are empty or of different lengths.
pub fn rmse(pred: &[f32], truth: &[f32]) -> f64 {
    if pred.is_empty() || pred.len() != truth.len() {
        return f64::NAN;
    }
    (sum_sq_err(pred, truth) / pred.len() as f64).sqrt()
}

/// Mean absolute error over all pairs. NaN when the slices are empty or of different lengths.
pub fn mae(pred: &[f32], truth: &[f32]) -> f64 {
    if pred.is_empty() || pred.len() != truth.len() {
        return f64::NAN;
    }
    let s: f64 = pred
        .iter()
        .zip(truth)
        .map(|(&p, &t)| (f64::from(p) - f64::from(t)).abs())
        .sum();
    s / pred.len() as f64
}

/// Mean over users of each user's RMSE (Cornac's user-averaged RMSE): every user who has at
/// least one pair counts once, whatever their number of test ratings. NaN when the slices
/// are empty or of different lengths.
pub fn per_user_rmse(users: &[u32], pred: &[f32], truth: &[f32]) -> f64 {
    if users.is_empty() || users.len() != pred.len() || pred.len() != truth.len() {
        return f64::NAN;
    }
    let groups = per_user_sums(users, |r| {
        let e = f64::from(pred[r]) - f64::from(truth[r]);
        [e * e]
    });
    mean_user_rmse(&groups)
}

/// Fraction of test pairs the model really predicted (`known[r] == true`) rather than
/// answering with a fallback default. NaN for an empty mask.
pub fn prediction_coverage(known: &[bool]) -> f64 {
    if known.is_empty() {
        return f64::NAN;
    }
    known.iter().filter(|&&k| k).count() as f64 / known.len() as f64
}

fn sum_sq_err(pred: &[f32], truth: &[f32]) -> f64 {
    pred.iter()
        .zip(truth)
        .map(|(&p, &t)| {
            let e = f64::from(p) - f64::from(t);
            e * e
        })
        .sum()
}

fn mean_user_rmse(groups: &[UserSums<1>]) -> f64 {
    let s: f64 = groups
        .iter()
        .map(|g| (g.sums[0] / g.count as f64).sqrt())
        .sum();
    s / groups.len() as f64
}

/// Sums of per-row quantities for one user.
#[derive(Clone, Copy, Debug)]
pub(crate) struct UserSums<const M: usize> {
    pub(crate) count: u64,
    pub(crate) sums: [f64; M],
}

/// Groups rows by user and sums `f(row)` per user. Users come out in ascending id order (only
/// users that occur); rows of one user are summed in input order, so the result does not
/// depend on how the rows of different users are interleaved.
pub(crate) fn per_user_sums<const M: usize>(
    users: &[u32],
    f: impl Fn(usize) -> [f64; M],
) -> Vec<UserSums<M>> {
    let empty = UserSums {
        count: 0,
        sums: [0.0; M],
    };
    let Some(&max_user) = users.iter().max() else {
        return Vec::new();
    };
    let add = |acc: &mut UserSums<M>, r: usize| {
        let v = f(r);
        acc.count += 1;
        for (s, x) in acc.sums.iter_mut().zip(v) {
            *s += x;
        }
    };
    // Dense accumulation when ids are compact (the usual case: dense user indices);
    // otherwise a stable sort by user, so that huge sparse ids cannot blow up memory.
    if (max_user as usize) <= 4 * users.len() + 4096 {
        let mut acc = vec![empty; max_user as usize + 1];
        for (r, &u) in users.iter().enumerate() {
            add(&mut acc[u as usize], r);
        }
        acc.retain(|a| a.count > 0);
        acc
    } else {
        let mut order: Vec<u32> = (0..users.len() as u32).collect();
        order.sort_by_key(|&r| users[r as usize]);
        let mut out: Vec<UserSums<M>> = Vec::new();
        let mut current = None;
        for &r in &order {
            let u = users[r as usize];
            if current != Some(u) {
                out.push(empty);
                current = Some(u);
            }
            if let Some(last) = out.last_mut() {
                add(last, r as usize);
            }
        }
        out
    }
}

/// Rating-prediction metrics of one test set, computed in one pass.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RatingMetrics {
    /// Number of test pairs.
    pub n: usize,
    /// Number of distinct users among the test pairs.
    pub n_users: usize,
    /// RMSE over all test pairs, fallback predictions included (the paper's definition).
    pub rmse: f64,
    /// MAE over all test pairs.
    pub mae: f64,
    /// Mean over users of each user's RMSE (Cornac).
    pub per_user_rmse: f64,
    /// Number of pairs the model really predicted.
    pub n_predicted: usize,
    /// `n_predicted / n`.
    pub coverage: f64,
}

impl RatingMetrics {
    /// Computes every rating metric from parallel slices: the dense user index of each test
    /// pair, the prediction, the true rating and, optionally, whether the prediction came from
    /// the model (`true`) or from a fallback default (`false`); `None` means all predicted.
    ///
    /// # Errors
    /// [`EvalError::Empty`] for no pairs, [`EvalError::LengthMismatch`] for slices of
    /// different lengths, [`EvalError::NonFinite`] for a NaN/infinite prediction or rating.
    pub fn compute(
        users: &[u32],
        pred: &[f32],
        truth: &[f32],
        known: Option<&[bool]>,
    ) -> Result<Self, EvalError> {
        check_len("pred", pred.len(), "truth", truth.len())?;
        check_len("users", users.len(), "truth", truth.len())?;
        if let Some(k) = known {
            check_len("known", k.len(), "truth", truth.len())?;
        }
        if truth.is_empty() {
            return Err(EvalError::Empty {
                what: "truth",
                min: 1,
            });
        }
        check_finite_f32("pred", pred)?;
        check_finite_f32("truth", truth)?;

        let n = truth.len();
        let groups = per_user_sums(users, |r| {
            let e = f64::from(pred[r]) - f64::from(truth[r]);
            [e * e, e.abs()]
        });
        let (sq, abs) = groups
            .iter()
            .fold((0.0, 0.0), |(s, a), g| (s + g.sums[0], a + g.sums[1]));
        let per_user: f64 = groups
            .iter()
            .map(|g| (g.sums[0] / g.count as f64).sqrt())
            .sum::<f64>()
            / groups.len() as f64;
        let n_predicted = known.map_or(n, |k| k.iter().filter(|&&b| b).count());
        Ok(Self {
            n,
            n_users: groups.len(),
            rmse: (sq / n as f64).sqrt(),
            mae: abs / n as f64,
            per_user_rmse: per_user,
            n_predicted,
            coverage: n_predicted as f64 / n as f64,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed_rmse_and_mae() {
        // errors: 1, -2, 0, 0.5 -> squares 1, 4, 0, 0.25 (sum 5.25), abs sum 3.5
        let pred = [4.0, 1.0, 3.0, 4.5];
        let truth = [3.0, 3.0, 3.0, 4.0];
        assert!((rmse(&pred, &truth) - (5.25_f64 / 4.0).sqrt()).abs() < 1e-12);
        assert!((mae(&pred, &truth) - 3.5 / 4.0).abs() < 1e-12);
    }

    #[test]
    fn hand_computed_per_user_rmse() {
        // user 0: errors 1, -1 -> rmse 1; user 5: error 3 -> rmse 3; mean over users = 2.
        let users = [0, 5, 0];
        let pred = [2.0, 4.0, 2.0];
        let truth = [1.0, 1.0, 3.0];
        assert!((per_user_rmse(&users, &pred, &truth) - 2.0).abs() < 1e-12);
        // pooled RMSE differs: sqrt((1 + 9 + 1) / 3)
        assert!((rmse(&pred, &truth) - (11.0_f64 / 3.0).sqrt()).abs() < 1e-12);
    }

    #[test]
    fn sparse_user_ids_take_the_sorting_path() {
        let users = [u32::MAX, 3, u32::MAX, 3];
        let pred = [2.0, 4.0, 2.0, 4.0];
        let truth = [1.0, 1.0, 3.0, 2.0];
        // user 3: errors 3, 2 -> sqrt(6.5); user MAX: errors 1, -1 -> 1
        let expected = (6.5_f64.sqrt() + 1.0) / 2.0;
        assert!((per_user_rmse(&users, &pred, &truth) - expected).abs() < 1e-12);
        let m = RatingMetrics::compute(&users, &pred, &truth, None).unwrap();
        assert_eq!(m.n_users, 2);
        assert!((m.per_user_rmse - expected).abs() < 1e-12);
    }

    #[test]
    fn degenerate_inputs_give_nan_not_panic() {
        assert!(rmse(&[], &[]).is_nan());
        assert!(rmse(&[1.0], &[1.0, 2.0]).is_nan());
        assert!(mae(&[1.0, 2.0], &[1.0]).is_nan());
        assert!(per_user_rmse(&[0], &[1.0], &[]).is_nan());
        assert!(prediction_coverage(&[]).is_nan());
    }

    #[test]
    fn compute_matches_free_functions_and_coverage() {
        let users = [2, 0, 2, 1, 0];
        let pred = [3.5, 4.0, 2.0, 5.0, 1.0];
        let truth = [4.0, 4.0, 1.0, 3.0, 2.0];
        let known = [true, false, true, true, false];
        let m = RatingMetrics::compute(&users, &pred, &truth, Some(&known)).unwrap();
        assert_eq!(m.n, 5);
        assert_eq!(m.n_users, 3);
        assert_eq!(m.n_predicted, 3);
        assert!((m.coverage - 0.6).abs() < 1e-15);
        assert!((m.coverage - prediction_coverage(&known)).abs() < 1e-15);
        assert!((m.rmse - rmse(&pred, &truth)).abs() < 1e-12);
        assert!((m.mae - mae(&pred, &truth)).abs() < 1e-12);
        assert!((m.per_user_rmse - per_user_rmse(&users, &pred, &truth)).abs() < 1e-12);
        let all = RatingMetrics::compute(&users, &pred, &truth, None).unwrap();
        assert_eq!(all.n_predicted, 5);
        assert_eq!(all.coverage, 1.0);
    }

    #[test]
    fn compute_reports_typed_errors() {
        let e = RatingMetrics::compute(&[0], &[1.0, 2.0], &[1.0], None).unwrap_err();
        assert!(
            matches!(e, EvalError::LengthMismatch { what: "pred", .. }),
            "{e}"
        );
        let e =
            RatingMetrics::compute(&[0, 1], &[1.0, 2.0], &[1.0, 2.0], Some(&[true])).unwrap_err();
        assert!(
            matches!(e, EvalError::LengthMismatch { what: "known", .. }),
            "{e}"
        );
        let e = RatingMetrics::compute(&[], &[], &[], None).unwrap_err();
        assert!(matches!(e, EvalError::Empty { .. }), "{e}");
        let e = RatingMetrics::compute(&[0, 0], &[1.0, f32::NAN], &[1.0, 2.0], None).unwrap_err();
        assert!(
            matches!(
                e,
                EvalError::NonFinite {
                    what: "pred",
                    index: 1,
                    ..
                }
            ),
            "{e}"
        );
        assert!(e.to_string().contains("pred[1]"));
    }

    #[test]
    fn serde_round_trip_is_kebab_case() {
        let m = RatingMetrics::compute(&[0, 1], &[1.0, 2.0], &[1.5, 2.0], None).unwrap();
        let json = serde_json::to_string(&m).unwrap();
        assert!(json.contains("\"per-user-rmse\""), "{json}");
        let back: RatingMetrics = serde_json::from_str(&json).unwrap();
        assert_eq!(back, m);
    }
}
