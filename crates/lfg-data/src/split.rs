//! Cross-validation splitters. Every split is a deterministic function of its seed.
//!
//! All functions return [`Fold`]s whose row lists (`train`, `test`, `revealed`) are sorted
//! row indices into the [`Ratings`] table, and `new_users` is sorted.
//!
//! # Rules
//!
//! - [`per_user_kfold`]: each user's ratings are shuffled and dealt round-robin into `k` parts,
//!   starting at a random part per user, so the parts of a user differ in size by at most one
//!   and small users do not all land in fold 0. Fold `f` tests part `f` of every user and trains
//!   on the rest. Every rating is tested exactly once. A user with fewer than `k` ratings has
//!   some empty parts; a user with at least 2 ratings always keeps at least 1 training rating
//!   in every fold (a part holds at most `ceil(n / k) < n` ratings). A user with a single
//!   rating is tested in one fold and is absent from training in that fold only.
//! - [`new_user_kfold`]: users are shuffled and dealt round-robin into `k` near-equal groups;
//!   fold `f`'s users are new: all their ratings are out of training, each new user's ratings
//!   are shuffled and split into `revealed` (model input) and hidden `test` by [`Reveal`].
//!   Every rating of every user appears in exactly one fold, as revealed or as test.
//! - [`random_kfold`]: all ratings shuffled and dealt into `k` near-equal parts (Surprise's
//!   `KFold`): a user may lose all training ratings in a fold.
//! - [`predefined`]: the official ML-100k `u1..u5.base/.test` files.
//! - [`inner_validation`]: a per-user holdout inside training rows, for tuning.

use std::collections::HashMap;
use std::path::Path;

use lfg_core::{Fold, Ratings, Rng, derive_seed};
use serde::{Deserialize, Serialize};

use crate::error::DataError;
use crate::table::{Encoding, Kind, Missing, Sep, col, read_text};

// Seed-derivation tags, one per splitter, so that two splitters given the same seed draw
// unrelated streams.
const TAG_PER_USER: u64 = 1;
const TAG_NEW_USER: u64 = 2;
const TAG_RANDOM: u64 = 3;
const TAG_INNER: u64 = 4;

/// How many of a new user's ratings are revealed to the model (the rest are hidden and
/// evaluated).
///
/// Serde (kebab-case): `{ fraction = 0.8 }` or `{ count = 5 }`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub enum Reveal {
    /// Reveal `round(f * n)` of a user's `n` ratings, at least 1 when `f > 0` and `n >= 2`,
    /// and always keep at least 1 hidden (so a user with a single rating has it hidden).
    Fraction(f64),
    /// Reveal exactly `c` ratings. Users with `n <= c` ratings cannot keep one hidden: they
    /// are excluded from the test set for that fold (all their ratings are revealed and none
    /// is evaluated), so that every evaluated user has exactly `c` revealed ratings.
    Count(usize),
}

impl Default for Reveal {
    /// `Fraction(0.8)`: the paper's 80 % revealed.
    fn default() -> Self {
        Reveal::Fraction(0.8)
    }
}

impl Reveal {
    /// Rejects fractions outside `[0, 1]` (and NaN).
    pub fn check(&self) -> Result<(), DataError> {
        match *self {
            Reveal::Fraction(f) if !(0.0..=1.0).contains(&f) => Err(DataError::InvalidArgument {
                name: "reveal.fraction",
                reason: format!("{f} is not in [0, 1]"),
            }),
            _ => Ok(()),
        }
    }

    /// Number of a user's `n` ratings to reveal.
    pub fn n_revealed(&self, n: usize) -> usize {
        match *self {
            Reveal::Fraction(f) => {
                if n == 0 {
                    return 0;
                }
                let f = if f.is_nan() { 0.0 } else { f.clamp(0.0, 1.0) };
                let r = ((f * n as f64).round() as usize).min(n - 1);
                if f > 0.0 && n >= 2 { r.max(1) } else { r }
            }
            Reveal::Count(c) => c.min(n),
        }
    }
}

/// Rejects fold counts below 2.
pub fn check_k(k: usize) -> Result<(), DataError> {
    if k < 2 {
        return Err(DataError::InvalidArgument {
            name: "k",
            reason: format!("need at least 2 folds, got {k}"),
        });
    }
    Ok(())
}

fn assert_k(k: usize) {
    if let Err(e) = check_k(k) {
        panic!("{e} (call split::check_k before splitting)");
    }
}

/// Row indices grouped by user, in row order within a user.
fn rows_by_user(n_users: usize, user: &[u32], rows: impl Iterator<Item = u32>) -> Vec<Vec<u32>> {
    let mut out = vec![Vec::new(); n_users];
    for r in rows {
        out[user[r as usize] as usize].push(r);
    }
    out
}

/// Builds folds from a part number per row (`u8::MAX`-free: parts are `< k`).
fn folds_from_parts(part: &[u32], k: usize) -> Vec<Fold> {
    let mut sizes = vec![0usize; k];
    for &p in part {
        sizes[p as usize] += 1;
    }
    (0..k)
        .map(|f| {
            let mut test = Vec::with_capacity(sizes[f]);
            let mut train = Vec::with_capacity(part.len() - sizes[f]);
            for (r, &p) in part.iter().enumerate() {
                if p as usize == f {
                    test.push(r as u32);
                } else {
                    train.push(r as u32);
                }
            }
            Fold {
                index: f,
                train,
                test,
                revealed: Vec::new(),
                new_users: Vec::new(),
            }
        })
        .collect()
}

/// Per-user k-fold (see the module docs).
///
/// # Panics
/// When `k < 2`; check it with [`check_k`] first.
pub fn per_user_kfold(r: &Ratings, k: usize, seed: u64) -> Vec<Fold> {
    assert_k(k);
    let mut rng = Rng::new(derive_seed(seed, &[TAG_PER_USER]));
    let mut part = vec![0u32; r.len()];
    for mut rows in rows_by_user(r.n_users(), &r.user, 0..r.len() as u32) {
        rng.shuffle(&mut rows);
        let start = rng.below(k as u64) as usize;
        for (p, row) in rows.into_iter().enumerate() {
            part[row as usize] = ((p + start) % k) as u32;
        }
    }
    folds_from_parts(&part, k)
}

/// Random k-fold over all ratings (see the module docs).
///
/// # Panics
/// When `k < 2`; check it with [`check_k`] first.
pub fn random_kfold(r: &Ratings, k: usize, seed: u64) -> Vec<Fold> {
    assert_k(k);
    let mut rng = Rng::new(derive_seed(seed, &[TAG_RANDOM]));
    let perm = rng.permutation(r.len());
    let mut part = vec![0u32; r.len()];
    for (p, &row) in perm.iter().enumerate() {
        part[row as usize] = (p % k) as u32;
    }
    folds_from_parts(&part, k)
}

/// New-user k-fold (see the module docs and [`Reveal`]).
///
/// # Panics
/// When `k < 2`; check it with [`check_k`] (and the reveal rule with [`Reveal::check`]) first.
pub fn new_user_kfold(r: &Ratings, k: usize, reveal: Reveal, seed: u64) -> Vec<Fold> {
    assert_k(k);
    let n_users = r.n_users();
    let mut rng = Rng::new(derive_seed(seed, &[TAG_NEW_USER]));
    let mut group = vec![0usize; n_users];
    for (p, &u) in rng.permutation(n_users).iter().enumerate() {
        group[u as usize] = p % k;
    }
    let by_user = rows_by_user(n_users, &r.user, 0..r.len() as u32);
    let mut folds: Vec<Fold> = (0..k)
        .map(|f| Fold {
            index: f,
            ..Fold::default()
        })
        .collect();
    let mut excluded = 0usize;
    for (u, rows) in by_user.into_iter().enumerate() {
        let g = group[u];
        for (f, fold) in folds.iter_mut().enumerate() {
            if f != g {
                fold.train.extend_from_slice(&rows);
            }
        }
        let fold = &mut folds[g];
        fold.new_users.push(u as u32);
        let mut rows = rows;
        rng.shuffle(&mut rows);
        let n_rev = reveal.n_revealed(rows.len());
        if n_rev == rows.len() && !rows.is_empty() {
            excluded += 1;
        }
        fold.revealed.extend_from_slice(&rows[..n_rev]);
        fold.test.extend_from_slice(&rows[n_rev..]);
    }
    if excluded > 0 {
        tracing::debug!(
            excluded,
            ?reveal,
            "new users with too few ratings to hide any: all revealed, none evaluated"
        );
    }
    for fold in &mut folds {
        fold.train.sort_unstable();
        fold.test.sort_unstable();
        fold.revealed.sort_unstable();
    }
    folds
}

/// Splits `train_rows` per user into `(fit_rows, valid_rows)`: each user's training rows are
/// shuffled and `min(round(fraction * n), n - 1)` of them held out, so every user with
/// training rows keeps at least one for fitting. Only `train_rows` are touched: no test row
/// can leak into tuning. `fraction` is clamped to `[0, 1]` (NaN counts as 0). Both outputs are
/// sorted. The result depends on the set of `train_rows`, not their order.
pub fn inner_validation(
    r: &Ratings,
    train_rows: &[u32],
    fraction: f64,
    seed: u64,
) -> (Vec<u32>, Vec<u32>) {
    let fraction = if fraction.is_nan() {
        0.0
    } else {
        fraction.clamp(0.0, 1.0)
    };
    let mut sorted = train_rows.to_vec();
    sorted.sort_unstable();
    let mut rng = Rng::new(derive_seed(seed, &[TAG_INNER]));
    let mut fit = Vec::with_capacity(sorted.len());
    let mut valid = Vec::new();
    for mut rows in rows_by_user(r.n_users(), &r.user, sorted.into_iter()) {
        if rows.is_empty() {
            continue;
        }
        rng.shuffle(&mut rows);
        let n_valid = ((fraction * rows.len() as f64).round() as usize).min(rows.len() - 1);
        valid.extend_from_slice(&rows[..n_valid]);
        fit.extend_from_slice(&rows[n_valid..]);
    }
    fit.sort_unstable();
    valid.sort_unstable();
    (fit, valid)
}

/// The official ML-100k folds `u1..u5.base/.test` from `<data_dir>/ml-100k/`, mapped to rows
/// of `r` (which must be the loaded ML-100k).
///
/// Errors name the file and line of any rating that is not in `r` (or has another value),
/// or that is in both the base and the test file of a fold.
pub fn predefined(r: &Ratings, data_dir: &Path) -> Result<Vec<Fold>, DataError> {
    let dir = data_dir.join("ml-100k");
    let mut key_to_row: HashMap<(u32, u32), u32> = HashMap::with_capacity(r.len());
    for (row, (&u, &i)) in r.user.iter().zip(&r.item).enumerate() {
        key_to_row.insert((u, i), row as u32);
    }
    let cols = [
        col("user", Kind::Int),
        col("item", Kind::Int),
        col("rating", Kind::Float),
        col("timestamp", Kind::Int),
    ];
    let mut folds = Vec::with_capacity(5);
    for f in 1..=5 {
        let mut in_base = vec![false; r.len()];
        let mut parts: [Vec<u32>; 2] = [Vec::new(), Vec::new()];
        for (slot, ext) in ["base", "test"].iter().enumerate() {
            let path = dir.join(format!("u{f}.{ext}"));
            let file = read_text(&path, Encoding::Utf8, Missing::Fetchable("ml-100k"))?;
            let df = file.to_frame(Sep::Byte(b'\t'), &cols, 0, false)?;
            let users = file.ints(&df, "user")?;
            let items = file.ints(&df, "item")?;
            let ratings = file.floats(&df, "rating")?;
            let rows = &mut parts[slot];
            rows.reserve(users.len());
            for n in 0..users.len() {
                let row = r
                    .user_ids
                    .binary_search(&users[n])
                    .ok()
                    .zip(r.item_ids.binary_search(&items[n]).ok())
                    .and_then(|(u, i)| key_to_row.get(&(u as u32, i as u32)).copied())
                    .filter(|&row| r.rating[row as usize] == ratings[n]);
                let Some(row) = row else {
                    return Err(DataError::UnmatchedRating {
                        path: file.path.clone(),
                        line: file.line_of_row(n, 0),
                        user: users[n],
                        item: items[n],
                        rating: ratings[n],
                    });
                };
                if slot == 0 {
                    in_base[row as usize] = true;
                } else if in_base[row as usize] {
                    return Err(DataError::BadValue {
                        path: file.path.clone(),
                        line: file.line_of_row(n, 0),
                        field: "rating".into(),
                        value: format!("user {} item {}", users[n], items[n]),
                        reason: format!("also in u{f}.base: a rating cannot be in train and test"),
                    });
                }
                rows.push(row);
            }
            rows.sort_unstable();
        }
        let [train, test] = parts;
        folds.push(Fold {
            index: f - 1,
            train,
            test,
            revealed: Vec::new(),
            new_users: Vec::new(),
        });
    }
    Ok(folds)
}

#[cfg(test)]
mod tests {
    use super::*;
    use lfg_core::RatingScale;
    use proptest::prelude::*;

    /// A rating table from per-user rating counts (items 0..count for each user).
    fn table(counts: &[usize]) -> Ratings {
        let mut r = Ratings {
            scale: RatingScale::MOVIELENS,
            ..Ratings::default()
        };
        let max_items = counts.iter().copied().max().unwrap_or(0);
        for (u, &c) in counts.iter().enumerate() {
            for i in 0..c {
                r.user.push(u as u32);
                r.item.push(i as u32);
                r.rating.push(((u + i) % 5 + 1) as f32);
            }
        }
        // interleave rows a little so that rows of a user are not contiguous
        let n = r.len();
        let perm: Vec<usize> = (0..n).map(|i| (i * 7919) % n.max(1)).collect();
        if n > 0 && gcd(7919, n) == 1 {
            r.user = perm.iter().map(|&p| r.user[p]).collect();
            r.item = perm.iter().map(|&p| r.item[p]).collect();
            r.rating = perm.iter().map(|&p| r.rating[p]).collect();
        }
        r.user_ids = (0..counts.len() as i64).collect();
        r.item_ids = (0..max_items as i64).collect();
        r
    }

    fn gcd(a: usize, b: usize) -> usize {
        if b == 0 { a } else { gcd(b, a % b) }
    }

    fn counts_strategy() -> impl Strategy<Value = Vec<usize>> {
        prop::collection::vec(1usize..25, 1..40)
    }

    fn assert_disjoint_sorted(a: &[u32], b: &[u32]) {
        assert!(a.windows(2).all(|w| w[0] < w[1]), "not sorted/unique");
        assert!(b.windows(2).all(|w| w[0] < w[1]), "not sorted/unique");
        let (mut i, mut j) = (0, 0);
        while i < a.len() && j < b.len() {
            assert_ne!(a[i], b[j], "row {} in both", a[i]);
            if a[i] < b[j] { i += 1 } else { j += 1 }
        }
    }

    /// Every row is tested exactly once and each fold's train is the complement of its test.
    fn assert_partition(folds: &[Fold], n: usize) {
        let mut tested = vec![0u32; n];
        for f in folds {
            assert_disjoint_sorted(&f.train, &f.test);
            assert_eq!(f.train.len() + f.test.len(), n);
            for &t in &f.test {
                tested[t as usize] += 1;
            }
        }
        assert!(tested.iter().all(|&c| c == 1), "{tested:?}");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn per_user_partitions_and_keeps_users(counts in counts_strategy(), k in 2usize..7, seed: u64) {
            let r = table(&counts);
            let folds = per_user_kfold(&r, k, seed);
            prop_assert_eq!(folds.len(), k);
            assert_partition(&folds, r.len());
            for f in &folds {
                let mut train_count = vec![0usize; counts.len()];
                let mut test_count = vec![0usize; counts.len()];
                for &t in &f.train { train_count[r.user[t as usize] as usize] += 1; }
                for &t in &f.test { test_count[r.user[t as usize] as usize] += 1; }
                for (u, &c) in counts.iter().enumerate() {
                    if c >= 2 { prop_assert!(train_count[u] >= 1, "user {} lost training", u); }
                    // near-equal parts: floor or ceil of c/k
                    prop_assert!(test_count[u] == c / k || test_count[u] == c.div_ceil(k));
                }
                prop_assert!(f.revealed.is_empty() && f.new_users.is_empty());
            }
            prop_assert_eq!(&folds, &per_user_kfold(&r, k, seed));
        }

        #[test]
        fn random_partitions(counts in counts_strategy(), k in 2usize..7, seed: u64) {
            let r = table(&counts);
            let folds = random_kfold(&r, k, seed);
            assert_partition(&folds, r.len());
            for f in &folds {
                prop_assert!(f.test.len() == r.len() / k || f.test.len() == r.len().div_ceil(k));
            }
            prop_assert_eq!(&folds, &random_kfold(&r, k, seed));
        }

        #[test]
        fn new_user_partitions_and_hides_users(
            counts in counts_strategy(),
            k in 2usize..6,
            seed: u64,
            frac in 0.0f64..=1.0,
            count in 0usize..30,
            use_count: bool,
        ) {
            let r = table(&counts);
            let reveal = if use_count { Reveal::Count(count) } else { Reveal::Fraction(frac) };
            let folds = new_user_kfold(&r, k, reveal, seed);
            prop_assert_eq!(folds.len(), k);
            let mut seen = vec![0u32; r.len()];
            let mut user_fold = vec![usize::MAX; counts.len()];
            for f in &folds {
                let news: std::collections::HashSet<u32> = f.new_users.iter().copied().collect();
                prop_assert!(f.new_users.windows(2).all(|w| w[0] < w[1]));
                for &u in &f.new_users {
                    prop_assert_eq!(user_fold[u as usize], usize::MAX, "user in two groups");
                    user_fold[u as usize] = f.index;
                }
                for &t in &f.train {
                    prop_assert!(!news.contains(&r.user[t as usize]), "new user in training");
                }
                assert_disjoint_sorted(&f.train, &f.test);
                assert_disjoint_sorted(&f.train, &f.revealed);
                assert_disjoint_sorted(&f.revealed, &f.test);
                for &t in f.test.iter().chain(&f.revealed) {
                    prop_assert!(news.contains(&r.user[t as usize]));
                    seen[t as usize] += 1;
                }
                prop_assert_eq!(f.train.len() + f.test.len() + f.revealed.len(), r.len());
                // reveal rule per user
                let mut rev = vec![0usize; counts.len()];
                let mut hid = vec![0usize; counts.len()];
                for &t in &f.revealed { rev[r.user[t as usize] as usize] += 1; }
                for &t in &f.test { hid[r.user[t as usize] as usize] += 1; }
                for &u in &f.new_users {
                    let n = counts[u as usize];
                    prop_assert_eq!(rev[u as usize], reveal.n_revealed(n));
                    prop_assert_eq!(rev[u as usize] + hid[u as usize], n);
                    match reveal {
                        Reveal::Fraction(_) => prop_assert!(hid[u as usize] >= 1),
                        Reveal::Count(c) => {
                            if n > c { prop_assert_eq!(rev[u as usize], c) } else { prop_assert_eq!(hid[u as usize], 0) }
                        }
                    }
                }
            }
            prop_assert!(seen.iter().all(|&c| c == 1), "a rating not in exactly one fold");
            prop_assert!(user_fold.iter().all(|&f| f != usize::MAX), "a user in no group");
            // near-equal groups
            for f in &folds {
                let n = counts.len();
                prop_assert!(f.new_users.len() == n / k || f.new_users.len() == n.div_ceil(k));
            }
            prop_assert_eq!(&folds, &new_user_kfold(&r, k, reveal, seed));
        }

        #[test]
        fn inner_validation_stays_inside_train(counts in counts_strategy(), seed: u64, frac in 0.0f64..=1.0) {
            let r = table(&counts);
            let fold = &per_user_kfold(&r, 5, seed ^ 1)[0];
            let (fit, valid) = inner_validation(&r, &fold.train, frac, seed);
            assert_disjoint_sorted(&fit, &valid);
            let mut all: Vec<u32> = fit.iter().chain(&valid).copied().collect();
            all.sort_unstable();
            prop_assert_eq!(&all, &fold.train);
            // every user with training rows keeps one for fitting
            let mut fit_users = vec![false; counts.len()];
            for &t in &fit { fit_users[r.user[t as usize] as usize] = true; }
            for &t in &fold.train { prop_assert!(fit_users[r.user[t as usize] as usize]); }
            // order of the input does not matter
            let mut rev = fold.train.clone();
            rev.reverse();
            prop_assert_eq!((fit.clone(), valid.clone()), inner_validation(&r, &rev, frac, seed));
        }
    }

    #[test]
    fn different_seeds_give_different_folds() {
        let r = table(&[30; 40]);
        assert_ne!(per_user_kfold(&r, 5, 1), per_user_kfold(&r, 5, 2));
        assert_ne!(random_kfold(&r, 5, 1), random_kfold(&r, 5, 2));
        assert_ne!(
            new_user_kfold(&r, 5, Reveal::default(), 1),
            new_user_kfold(&r, 5, Reveal::default(), 2)
        );
        let train: Vec<u32> = (0..r.len() as u32).collect();
        assert_ne!(
            inner_validation(&r, &train, 0.2, 1),
            inner_validation(&r, &train, 0.2, 2)
        );
    }

    #[test]
    fn per_user_k5_is_80_20() {
        let r = table(&[20, 40, 100]);
        for f in per_user_kfold(&r, 5, 9) {
            assert_eq!(f.test.len(), 4 + 8 + 20);
        }
    }

    #[test]
    fn inner_validation_fraction() {
        let r = table(&[10, 20, 1]);
        let train: Vec<u32> = (0..r.len() as u32).collect();
        let (fit, valid) = inner_validation(&r, &train, 0.2, 3);
        assert_eq!(valid.len(), 2 + 4);
        assert_eq!(fit.len(), 8 + 16 + 1);
    }

    #[test]
    fn reveal_rules() {
        let f = Reveal::Fraction(0.8);
        assert_eq!(f.n_revealed(10), 8);
        assert_eq!(f.n_revealed(1), 0);
        assert_eq!(f.n_revealed(2), 1);
        assert_eq!(Reveal::Fraction(1.0).n_revealed(5), 4);
        assert_eq!(Reveal::Fraction(0.0).n_revealed(5), 0);
        assert_eq!(Reveal::Fraction(0.01).n_revealed(5), 1);
        assert_eq!(Reveal::Count(5).n_revealed(20), 5);
        assert_eq!(Reveal::Count(5).n_revealed(5), 5);
        assert!(Reveal::Fraction(1.5).check().is_err());
        assert!(Reveal::Fraction(f64::NAN).check().is_err());
        assert!(Reveal::Count(3).check().is_ok());
        assert!(check_k(1).is_err() && check_k(2).is_ok());
        let toml_like: Reveal = serde_json::from_str("{\"count\": 5}").unwrap();
        assert_eq!(toml_like, Reveal::Count(5));
        assert!(serde_json::from_str::<Reveal>("{\"share\": 5}").is_err());
    }

    #[test]
    #[should_panic(expected = "at least 2 folds")]
    fn k_below_two_panics_with_a_clear_message() {
        per_user_kfold(&table(&[3]), 1, 0);
    }
}
