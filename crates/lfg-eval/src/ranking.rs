//! Top-N ranking metrics: Precision@k, Recall@k, NDCG@k, MAP@k, hit rate@k and catalogue
//! coverage.
//!
//! # Protocol
//! For every user with at least one held-out (test) rating, the model scores all items; the
//! items the user rated in training are removed from the candidates and the `k` best-scored
//! remaining items form the user's list. Ties are broken by the lower item index; NaN scores
//! rank as `-inf`. Selection is partial (`select_nth_unstable_by` then a sort of the `k`
//! winners), O(n_items + k log k) per user.
//!
//! An item is *relevant* to a user when its held-out rating is `>= threshold` (default 4.0)
//! and it is not one of the user's training items (it could never be recommended). With `R`
//! relevant items, `hits` of them in the list and `rel_i` = 1 when position `i` (1-based) holds
//! a relevant item:
//! - Precision@k = hits / k (a list shorter than `k`, when fewer than `k` candidates exist,
//!   still divides by `k`);
//! - Recall@k = hits / R;
//! - NDCG@k = DCG / IDCG with binary gains, DCG = Σ_{i<=k} rel_i / log2(i + 1) and the ideal
//!   IDCG = Σ_{i <= min(k, R)} 1 / log2(i + 1);
//! - MAP@k: AP@k = Σ_{i<=k} P@i · rel_i / min(k, R), averaged over users;
//! - hit rate@k = 1 when hits > 0.
//!
//! **Users with no relevant held-out item are excluded from these five averages** (as LensKit
//! and RecBole do): their precision would be 0 and their recall/NDCG/AP undefined. Their lists
//! still count towards catalogue coverage = distinct items in all lists / n_items. The counts
//! of listed and evaluated users are reported.
//!
//! Users are processed in parallel with rayon; per-user values are collected in user order and
//! summed in that order, so results are bit-identical whatever the thread count.

use std::cmp::Ordering;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{EvalError, check_below, check_finite_f32, check_len};

/// Settings of the ranking evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct RankingConfig {
    /// Length of the recommendation list. Default 10.
    pub k: usize,
    /// A held-out rating `>= threshold` marks the item relevant. Default 4.0.
    pub threshold: f32,
}

impl Default for RankingConfig {
    fn default() -> Self {
        Self {
            k: 10,
            threshold: 4.0,
        }
    }
}

impl RankingConfig {
    /// Validates the settings.
    ///
    /// # Errors
    /// [`EvalError::InvalidParameter`] when `k` is 0 or `threshold` is not finite.
    pub fn check(&self) -> Result<(), EvalError> {
        if self.k == 0 {
            return Err(EvalError::InvalidParameter {
                name: "k",
                value: self.k.to_string(),
                reason: "the list length must be at least 1",
            });
        }
        if !self.threshold.is_finite() {
            return Err(EvalError::InvalidParameter {
                name: "threshold",
                value: self.threshold.to_string(),
                reason: "the relevance threshold must be a finite rating",
            });
        }
        Ok(())
    }
}

/// The interactions of one fold, as parallel slices over dense indices (the layout of
/// `lfg_core::Triplets`: pass `&train.user`, `&train.item`, ...).
#[derive(Debug, Clone, Copy)]
pub struct RankingInput<'a> {
    /// Size of the user index space (every user id is `< n_users`).
    pub n_users: usize,
    /// Size of the item index space; the scoring closure fills `n_items` scores.
    pub n_items: usize,
    /// Users of the training pairs (excluded from that user's candidates).
    pub train_users: &'a [u32],
    /// Items of the training pairs.
    pub train_items: &'a [u32],
    /// Users of the held-out pairs.
    pub test_users: &'a [u32],
    /// Items of the held-out pairs.
    pub test_items: &'a [u32],
    /// Held-out ratings (relevance = rating `>= threshold`).
    pub test_ratings: &'a [f32],
}

/// Averages of the ranking metrics over the evaluated users (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RankingMetrics {
    /// List length.
    pub k: usize,
    /// Relevance threshold.
    pub threshold: f32,
    /// Mean Precision@k (NaN, written `null`, when no user has a relevant item).
    #[serde(with = "crate::nan_null")]
    pub precision: f64,
    /// Mean Recall@k.
    #[serde(with = "crate::nan_null")]
    pub recall: f64,
    /// Mean NDCG@k.
    #[serde(with = "crate::nan_null")]
    pub ndcg: f64,
    /// MAP@k.
    #[serde(with = "crate::nan_null")]
    pub map: f64,
    /// Fraction of evaluated users with at least one relevant item in their list.
    #[serde(with = "crate::nan_null")]
    pub hit_rate: f64,
    /// Distinct items over all lists / n_items.
    pub catalogue_coverage: f64,
    /// Users with at least one held-out rating (a list was built for each).
    pub n_users_listed: usize,
    /// Users with at least one relevant held-out item (those averaged).
    pub n_users_evaluated: usize,
    /// Distinct items recommended.
    pub n_items_recommended: usize,
}

/// Compressed rows: `items[offsets[u]..offsets[u + 1]]`, items ascending within a row.
struct Csr {
    offsets: Vec<usize>,
    items: Vec<u32>,
    ratings: Vec<f32>,
}

impl Csr {
    /// Two stable counting sorts (by item, then by user): rows come out grouped by user with
    /// items ascending, in O(n + n_users + n_items).
    fn build(
        n_users: usize,
        n_items: usize,
        users: &[u32],
        items: &[u32],
        ratings: &[f32],
    ) -> Self {
        let by_item = counting_order(items, n_items, None);
        let order = counting_order(users, n_users, Some(&by_item));
        let mut offsets = vec![0_usize; n_users + 1];
        for &u in users {
            offsets[u as usize + 1] += 1;
        }
        for u in 0..n_users {
            offsets[u + 1] += offsets[u];
        }
        let items_sorted = order.iter().map(|&r| items[r as usize]).collect();
        let ratings_sorted = if ratings.is_empty() {
            Vec::new()
        } else {
            order.iter().map(|&r| ratings[r as usize]).collect()
        };
        Self {
            offsets,
            items: items_sorted,
            ratings: ratings_sorted,
        }
    }

    fn row(&self, u: usize) -> &[u32] {
        &self.items[self.offsets[u]..self.offsets[u + 1]]
    }

    fn row_ratings(&self, u: usize) -> &[f32] {
        &self.ratings[self.offsets[u]..self.offsets[u + 1]]
    }
}

/// Stable counting sort of row indices by `keys` (all `< n_keys`), visiting rows in the order
/// `prior` (or `0..len`).
fn counting_order(keys: &[u32], n_keys: usize, prior: Option<&[u32]>) -> Vec<u32> {
    let mut start = vec![0_usize; n_keys + 1];
    for &k in keys {
        start[k as usize + 1] += 1;
    }
    for k in 0..n_keys {
        start[k + 1] += start[k];
    }
    let mut out = vec![0_u32; keys.len()];
    let mut place = |r: u32| {
        let slot = &mut start[keys[r as usize] as usize];
        out[*slot] = r;
        *slot += 1;
    };
    match prior {
        Some(p) => p.iter().for_each(|&r| place(r)),
        None => (0..keys.len() as u32).for_each(place),
    }
    out
}

/// Ranking order: higher score first, then lower item index. Keys are normalised (NaN to
/// `-inf`, `-0.0` to `0.0`) so `total_cmp` is the usual order.
#[inline]
fn better(a: &(f32, u32), b: &(f32, u32)) -> Ordering {
    b.0.total_cmp(&a.0).then(a.1.cmp(&b.1))
}

#[inline]
fn score_key(s: f32) -> f32 {
    if s.is_nan() {
        f32::NEG_INFINITY
    } else {
        s + 0.0
    }
}

/// Fills `out` with the `k` best candidates (items not in the ascending list `excluded`),
/// best first. `cand` is scratch space.
fn select_top_k(
    scores: &[f32],
    excluded: &[u32],
    k: usize,
    cand: &mut Vec<(f32, u32)>,
    out: &mut Vec<u32>,
) {
    cand.clear();
    let mut ex = excluded.iter().copied().peekable();
    for (i, &s) in scores.iter().enumerate() {
        let i = i as u32;
        let mut skip = false;
        while let Some(&e) = ex.peek() {
            if e < i {
                ex.next();
            } else {
                skip = e == i;
                break;
            }
        }
        if !skip {
            cand.push((score_key(s), i));
        }
    }
    if cand.len() > k {
        cand.select_nth_unstable_by(k - 1, better);
        cand.truncate(k);
    }
    cand.sort_unstable_by(better);
    out.clear();
    out.extend(cand.iter().map(|&(_, i)| i));
}

/// The `k` best-scored items not in `exclude` (any order, duplicates allowed), best first;
/// ties go to the lower index and NaN scores rank last. Fewer than `k` when fewer candidates
/// remain.
pub fn top_k(scores: &[f32], exclude: &[u32], k: usize) -> Vec<u32> {
    let mut ex = exclude.to_vec();
    ex.sort_unstable();
    let mut cand = Vec::with_capacity(scores.len());
    let mut out = Vec::with_capacity(k.min(scores.len()));
    if k > 0 {
        select_top_k(scores, &ex, k, &mut cand, &mut out);
    }
    out
}

/// Per-user metric values `[precision, recall, ndcg, ap, hit]`.
fn user_metrics(list: &[u32], relevant: &[u32], k: usize, discount: &[f64]) -> [f64; 5] {
    let n_rel = relevant.len();
    let mut hits = 0_usize;
    let mut dcg = 0.0;
    let mut ap = 0.0;
    for (pos, item) in list.iter().enumerate() {
        if relevant.binary_search(item).is_ok() {
            hits += 1;
            dcg += discount[pos];
            ap += hits as f64 / (pos + 1) as f64;
        }
    }
    let ideal_len = k.min(n_rel);
    let idcg: f64 = discount[..ideal_len].iter().sum();
    [
        hits as f64 / k as f64,
        hits as f64 / n_rel as f64,
        dcg / idcg,
        ap / ideal_len as f64,
        if hits > 0 { 1.0 } else { 0.0 },
    ]
}

struct UserOutcome {
    list: Vec<u32>,
    metrics: Option<[f64; 5]>,
}

/// Ranking metrics of one fold. `score(user, out)` writes the model's score of every item
/// into `out` (length `n_items`, pre-filled with NaN so unwritten items rank last); it is
/// called once per user with held-out ratings, from several threads.
///
/// # Errors
/// Invalid `cfg` ([`RankingConfig::check`]), slices of different lengths, a user or item index
/// outside `n_users` / `n_items`, a non-finite held-out rating, or `n_items == 0`.
pub fn ranking_metrics<F>(
    cfg: &RankingConfig,
    input: &RankingInput<'_>,
    score: F,
) -> Result<RankingMetrics, EvalError>
where
    F: Fn(u32, &mut [f32]) + Sync,
{
    cfg.check()?;
    validate(input)?;
    let n_items = input.n_items;
    let k = cfg.k;
    let train = Csr::build(
        input.n_users,
        n_items,
        input.train_users,
        input.train_items,
        &[],
    );
    let test = Csr::build(
        input.n_users,
        n_items,
        input.test_users,
        input.test_items,
        input.test_ratings,
    );
    let listed: Vec<u32> = (0..input.n_users as u32)
        .filter(|&u| !test.row(u as usize).is_empty())
        .collect();
    let discount: Vec<f64> = (0..k.min(n_items))
        .map(|i| 1.0 / ((i + 2) as f64).log2())
        .collect();

    let outcomes: Vec<UserOutcome> = listed
        .par_iter()
        .map_init(
            || {
                (
                    vec![f32::NAN; n_items],
                    Vec::with_capacity(n_items),
                    Vec::new(),
                )
            },
            |(scores, cand, relevant), &u| {
                scores.fill(f32::NAN);
                score(u, scores);
                let train_row = train.row(u as usize);
                let mut list = Vec::with_capacity(k.min(n_items));
                select_top_k(scores, train_row, k, cand, &mut list);
                relevant.clear();
                for (&i, &r) in test
                    .row(u as usize)
                    .iter()
                    .zip(test.row_ratings(u as usize))
                {
                    if r >= cfg.threshold && train_row.binary_search(&i).is_err() {
                        relevant.push(i);
                    }
                }
                relevant.dedup(); // rows are sorted by item
                let metrics =
                    (!relevant.is_empty()).then(|| user_metrics(&list, relevant, k, &discount));
                UserOutcome { list, metrics }
            },
        )
        .collect();

    let mut sums = [0.0_f64; 5];
    let mut n_eval = 0_usize;
    let mut seen = vec![false; n_items];
    for o in &outcomes {
        for &i in &o.list {
            seen[i as usize] = true;
        }
        if let Some(m) = o.metrics {
            n_eval += 1;
            for (s, v) in sums.iter_mut().zip(m) {
                *s += v;
            }
        }
    }
    let n_rec = seen.iter().filter(|&&b| b).count();
    let avg = |s: f64| {
        if n_eval == 0 {
            f64::NAN
        } else {
            s / n_eval as f64
        }
    };
    Ok(RankingMetrics {
        k,
        threshold: cfg.threshold,
        precision: avg(sums[0]),
        recall: avg(sums[1]),
        ndcg: avg(sums[2]),
        map: avg(sums[3]),
        hit_rate: avg(sums[4]),
        catalogue_coverage: n_rec as f64 / n_items as f64,
        n_users_listed: listed.len(),
        n_users_evaluated: n_eval,
        n_items_recommended: n_rec,
    })
}

/// [`ranking_metrics`] with a dense row-major `n_users x n_items` score matrix.
///
/// # Errors
/// As [`ranking_metrics`], plus a length mismatch when `scores.len() != n_users * n_items`.
pub fn ranking_metrics_dense(
    cfg: &RankingConfig,
    input: &RankingInput<'_>,
    scores: &[f32],
) -> Result<RankingMetrics, EvalError> {
    let expected =
        input
            .n_users
            .checked_mul(input.n_items)
            .ok_or_else(|| EvalError::InvalidParameter {
                name: "n-users",
                value: format!("{} x n-items {}", input.n_users, input.n_items),
                reason: "the score matrix size overflows usize",
            })?;
    check_len("scores", scores.len(), "n_users * n_items", expected)?;
    let n = input.n_items;
    ranking_metrics(cfg, input, |u, out| {
        let start = u as usize * n;
        out.copy_from_slice(&scores[start..start + n]);
    })
}

fn validate(input: &RankingInput<'_>) -> Result<(), EvalError> {
    if input.n_items == 0 {
        return Err(EvalError::Empty {
            what: "n_items",
            min: 1,
        });
    }
    if input.n_users > u32::MAX as usize + 1 {
        return Err(EvalError::InvalidParameter {
            name: "n-users",
            value: input.n_users.to_string(),
            reason: "user indices are u32",
        });
    }
    check_len(
        "train_items",
        input.train_items.len(),
        "train_users",
        input.train_users.len(),
    )?;
    check_len(
        "test_items",
        input.test_items.len(),
        "test_users",
        input.test_users.len(),
    )?;
    check_len(
        "test_ratings",
        input.test_ratings.len(),
        "test_users",
        input.test_users.len(),
    )?;
    check_below("train_users", input.train_users, input.n_users)?;
    check_below("train_items", input.train_items, input.n_items)?;
    check_below("test_users", input.test_users, input.n_users)?;
    check_below("test_items", input.test_items, input.n_items)?;
    check_finite_f32("test_ratings", input.test_ratings)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input<'a>(
        n_users: usize,
        n_items: usize,
        train: (&'a [u32], &'a [u32]),
        test: (&'a [u32], &'a [u32], &'a [f32]),
    ) -> RankingInput<'a> {
        RankingInput {
            n_users,
            n_items,
            train_users: train.0,
            train_items: train.1,
            test_users: test.0,
            test_items: test.1,
            test_ratings: test.2,
        }
    }

    #[test]
    fn top_k_excludes_and_breaks_ties_by_index() {
        let scores = [0.5, 0.9, 0.9, f32::NAN, 0.1, 0.9, -0.0, 0.0];
        assert_eq!(top_k(&scores, &[], 4), vec![1, 2, 5, 0]);
        assert_eq!(top_k(&scores, &[2, 2, 1], 3), vec![5, 0, 4]);
        // -0.0 and 0.0 tie (lower index first); NaN is last.
        assert_eq!(top_k(&scores, &[0, 1, 2, 4, 5], 3), vec![6, 7, 3]);
        assert_eq!(top_k(&scores, &[], 100).len(), 8);
        assert!(top_k(&scores, &[], 0).is_empty());
    }

    #[test]
    fn hand_computed_single_user() {
        // 6 items; user 0 trained on item 0 (highest score, must be skipped).
        // Scores rank items 0 > 1 > 2 > 3 > 4 > 5; top-3 after exclusion: [1, 2, 3].
        // Held-out: item 2 (5.0, relevant), item 4 (4.0, relevant), item 3 (3.0, not).
        let scores = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4];
        let inp = input(
            1,
            6,
            (&[0], &[0]),
            (&[0, 0, 0], &[2, 4, 3], &[5.0, 4.0, 3.0]),
        );
        let cfg = RankingConfig {
            k: 3,
            threshold: 4.0,
        };
        let m = ranking_metrics_dense(&cfg, &inp, &scores).unwrap();
        // hits at position 2 only: P = 1/3, R = 1/2
        assert!((m.precision - 1.0 / 3.0).abs() < 1e-12);
        assert!((m.recall - 0.5).abs() < 1e-12);
        // DCG = 1/log2(3); IDCG = 1 + 1/log2(3)
        let l3 = 3.0_f64.log2();
        let ndcg = (1.0 / l3) / (1.0 + 1.0 / l3);
        assert!((m.ndcg - ndcg).abs() < 1e-12);
        // AP = (P@2 * 1) / min(3, 2) = (1/2) / 2
        assert!((m.map - 0.25).abs() < 1e-12);
        assert_eq!(m.hit_rate, 1.0);
        assert_eq!(m.n_items_recommended, 3);
        assert!((m.catalogue_coverage - 0.5).abs() < 1e-12);
        assert_eq!((m.n_users_listed, m.n_users_evaluated), (1, 1));
    }

    #[test]
    fn users_without_relevant_items_only_count_for_coverage() {
        // user 0: relevant item 1 ranked first -> all metrics 1.
        // user 1: only a 2-star held-out rating -> excluded from the averages, but its list
        // (items 3, 2) counts for coverage. user 2: no held-out ratings -> not listed.
        let scores = [
            0.1, 0.9, 0.2, 0.3, // user 0
            0.1, 0.2, 0.3, 0.9, // user 1
            0.9, 0.8, 0.7, 0.6, // user 2
        ];
        let inp = input(3, 4, (&[], &[]), (&[0, 1], &[1, 0], &[4.5, 2.0]));
        let cfg = RankingConfig {
            k: 2,
            threshold: 4.0,
        };
        let m = ranking_metrics_dense(&cfg, &inp, &scores).unwrap();
        assert_eq!((m.n_users_listed, m.n_users_evaluated), (2, 1));
        assert!((m.precision - 0.5).abs() < 1e-12); // 1 hit / k=2
        for v in [m.recall, m.ndcg, m.map, m.hit_rate] {
            assert!((v - 1.0).abs() < 1e-12, "{m:?}");
        }
        // lists: user 0 [1, 3], user 1 [3, 2] -> {1, 2, 3}
        assert_eq!(m.n_items_recommended, 3);
        assert!((m.catalogue_coverage - 0.75).abs() < 1e-12);
    }

    #[test]
    fn relevant_training_items_do_not_count() {
        // item 0 is both in train and (duplicated) in test: it can never be recommended, so
        // it is not relevant; the user has no other relevant item and is not evaluated.
        let scores = [0.9, 0.1, 0.2];
        let inp = input(1, 3, (&[0], &[0]), (&[0], &[0], &[5.0]));
        let m = ranking_metrics_dense(&RankingConfig::default(), &inp, &scores).unwrap();
        assert_eq!(m.n_users_evaluated, 0);
        assert!(m.precision.is_nan() && m.ndcg.is_nan());
        let json = serde_json::to_string(&m).unwrap();
        assert!(json.contains("\"precision\":null"), "{json}");
        let back: RankingMetrics = serde_json::from_str(&json).unwrap();
        assert!(back.precision.is_nan());
        assert_eq!(back.n_users_listed, 1);
    }

    #[test]
    fn map_and_ndcg_with_more_relevant_than_k() {
        // k = 2, relevant = {0, 2, 3}; list = [0, 1]: hits at 1.
        // AP = (1/1) / min(2, 3) = 0.5; NDCG = 1 / (1 + 1/log2 3); recall = 1/3.
        let scores = [0.9, 0.8, 0.1, 0.0];
        let inp = input(1, 4, (&[], &[]), (&[0, 0, 0], &[3, 0, 2], &[4.0, 5.0, 4.0]));
        let cfg = RankingConfig {
            k: 2,
            threshold: 4.0,
        };
        let m = ranking_metrics_dense(&cfg, &inp, &scores).unwrap();
        assert!((m.map - 0.5).abs() < 1e-12);
        assert!((m.ndcg - 1.0 / (1.0 + 1.0 / 3.0_f64.log2())).abs() < 1e-12);
        assert!((m.recall - 1.0 / 3.0).abs() < 1e-12);
        assert!((m.precision - 0.5).abs() < 1e-12);
    }

    #[test]
    fn config_and_input_errors() {
        let bad = RankingConfig {
            k: 0,
            threshold: 4.0,
        };
        assert!(matches!(
            bad.check(),
            Err(EvalError::InvalidParameter { name: "k", .. })
        ));
        let bad = RankingConfig {
            k: 5,
            threshold: f32::NAN,
        };
        assert!(bad.check().is_err());
        let cfg: RankingConfig = serde_json::from_str(r#"{"k": 5}"#).unwrap();
        assert_eq!(cfg.threshold, 4.0);
        assert!(serde_json::from_str::<RankingConfig>(r#"{"top-k": 5}"#).is_err());

        let inp = input(1, 2, (&[0], &[2]), (&[], &[], &[]));
        let e = ranking_metrics_dense(&cfg, &inp, &[0.0, 0.0]).unwrap_err();
        assert!(
            matches!(
                e,
                EvalError::OutOfRange {
                    what: "train_items",
                    index: 0,
                    value: 2,
                    bound: 2
                }
            ),
            "{e}"
        );
        let inp = input(1, 2, (&[], &[]), (&[0], &[1], &[]));
        assert!(matches!(
            ranking_metrics_dense(&cfg, &inp, &[0.0, 0.0]),
            Err(EvalError::LengthMismatch {
                what: "test_ratings",
                ..
            })
        ));
        let inp = input(1, 2, (&[], &[]), (&[], &[], &[]));
        assert!(matches!(
            ranking_metrics_dense(&cfg, &inp, &[0.0]),
            Err(EvalError::LengthMismatch { what: "scores", .. })
        ));
    }

    #[test]
    fn csr_rows_are_sorted_by_item() {
        let users = [1, 0, 1, 1, 0];
        let items = [5, 3, 0, 2, 1];
        let csr = Csr::build(3, 6, &users, &items, &[]);
        assert_eq!(csr.row(0), &[1, 3]);
        assert_eq!(csr.row(1), &[0, 2, 5]);
        assert!(csr.row(2).is_empty());
    }
}
