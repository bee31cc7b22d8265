//! Rating tables.

use serde::{Deserialize, Serialize};

/// The closed interval of valid ratings, e.g. `[1, 5]` for MovieLens.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct RatingScale {
    /// Smallest valid rating.
    pub min: f32,
    /// Largest valid rating.
    pub max: f32,
}

impl RatingScale {
    /// The MovieLens 1..5 star scale.
    pub const MOVIELENS: RatingScale = RatingScale { min: 1.0, max: 5.0 };

    /// Clips a prediction into the scale.
    #[inline]
    pub fn clip(&self, x: f32) -> f32 {
        x.clamp(self.min, self.max)
    }

    /// Whether `x` lies in the scale.
    #[inline]
    pub fn contains(&self, x: f32) -> bool {
        x >= self.min && x <= self.max
    }
}

impl Default for RatingScale {
    fn default() -> Self {
        Self::MOVIELENS
    }
}

/// A whole data set's ratings, as every loader returns them.
///
/// Users and items carry dense indices `0..n_users` and `0..n_items` (in order of first
/// appearance in the raw ids' sorted order) and the raw ids they had in the source file.
/// Row `r` of the table is `(user[r], item[r], rating[r], timestamp[r])`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Ratings {
    /// Dense user index of each rating.
    pub user: Vec<u32>,
    /// Dense item index of each rating.
    pub item: Vec<u32>,
    /// The rating value.
    pub rating: Vec<f32>,
    /// Unix timestamp of each rating, when the source has one.
    pub timestamp: Option<Vec<i64>>,
    /// Raw id of each dense user index (`user_ids[u]`).
    pub user_ids: Vec<i64>,
    /// Raw id of each dense item index (`item_ids[i]`).
    pub item_ids: Vec<i64>,
    /// The rating scale.
    pub scale: RatingScale,
}

impl Ratings {
    /// Number of ratings.
    pub fn len(&self) -> usize {
        self.rating.len()
    }

    /// Whether there is no rating.
    pub fn is_empty(&self) -> bool {
        self.rating.is_empty()
    }

    /// Number of distinct users (dense index space).
    pub fn n_users(&self) -> usize {
        self.user_ids.len()
    }

    /// Number of distinct items (dense index space).
    pub fn n_items(&self) -> usize {
        self.item_ids.len()
    }

    /// The ratings at `rows` as a training view over the whole index space.
    pub fn select(&self, rows: &[u32]) -> Triplets {
        let mut t = Triplets::with_capacity(
            self.n_users() as u32,
            self.n_items() as u32,
            self.scale,
            rows.len(),
        );
        for &r in rows {
            let r = r as usize;
            t.push(self.user[r], self.item[r], self.rating[r]);
        }
        t
    }

    /// Every rating as a training view.
    pub fn all(&self) -> Triplets {
        Triplets {
            n_users: self.n_users() as u32,
            n_items: self.n_items() as u32,
            user: self.user.clone(),
            item: self.item.clone(),
            rating: self.rating.clone(),
            scale: self.scale,
        }
    }
}

/// A set of `(user, item, rating)` triplets over a fixed index space: what models fit on.
///
/// `n_users` and `n_items` span the whole data set, so a user with no rating here (a new user)
/// still has a valid index.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Triplets {
    /// Size of the user index space.
    pub n_users: u32,
    /// Size of the item index space.
    pub n_items: u32,
    /// Dense user index of each rating.
    pub user: Vec<u32>,
    /// Dense item index of each rating.
    pub item: Vec<u32>,
    /// Rating values.
    pub rating: Vec<f32>,
    /// The rating scale.
    pub scale: RatingScale,
}

impl Triplets {
    /// An empty set with room for `cap` ratings.
    pub fn with_capacity(n_users: u32, n_items: u32, scale: RatingScale, cap: usize) -> Self {
        Self {
            n_users,
            n_items,
            user: Vec::with_capacity(cap),
            item: Vec::with_capacity(cap),
            rating: Vec::with_capacity(cap),
            scale,
        }
    }

    /// Appends one rating.
    #[inline]
    pub fn push(&mut self, user: u32, item: u32, rating: f32) {
        self.user.push(user);
        self.item.push(item);
        self.rating.push(rating);
    }

    /// Appends every rating of `other` (same index space).
    pub fn extend(&mut self, other: &Triplets) {
        self.user.extend_from_slice(&other.user);
        self.item.extend_from_slice(&other.item);
        self.rating.extend_from_slice(&other.rating);
    }

    /// Number of ratings.
    pub fn len(&self) -> usize {
        self.rating.len()
    }

    /// Whether there is no rating.
    pub fn is_empty(&self) -> bool {
        self.rating.is_empty()
    }

    /// Mean rating (f64 accumulation); the scale's midpoint when empty.
    pub fn mean(&self) -> f64 {
        if self.rating.is_empty() {
            return f64::from(self.scale.min + self.scale.max) / 2.0;
        }
        self.rating.iter().map(|&r| f64::from(r)).sum::<f64>() / self.rating.len() as f64
    }

    /// Ratings grouped by user (CSR).
    pub fn by_user(&self) -> UserIndex {
        UserIndex::build(self.n_users as usize, &self.user, &self.item, &self.rating)
    }

    /// Ratings grouped by item (CSR), with users in the `items` slot.
    pub fn by_item(&self) -> UserIndex {
        UserIndex::build(self.n_items as usize, &self.item, &self.user, &self.rating)
    }

    /// Number of ratings of each user.
    pub fn user_counts(&self) -> Vec<u32> {
        let mut c = vec![0u32; self.n_users as usize];
        for &u in &self.user {
            c[u as usize] += 1;
        }
        c
    }
}

/// Ratings grouped by a key (usually the user) in compressed sparse rows, in input order
/// within each row.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct UserIndex {
    /// `offsets[u]..offsets[u + 1]` are row `u`'s positions in `items` and `ratings`.
    pub offsets: Vec<usize>,
    /// Column (item) of each entry.
    pub items: Vec<u32>,
    /// Value of each entry.
    pub ratings: Vec<f32>,
}

impl UserIndex {
    /// Groups `(row, col, value)` triplets by `row`; rows span `0..n_rows`.
    pub fn build(n_rows: usize, rows: &[u32], cols: &[u32], vals: &[f32]) -> Self {
        let mut offsets = vec![0usize; n_rows + 1];
        for &r in rows {
            offsets[r as usize + 1] += 1;
        }
        for i in 0..n_rows {
            offsets[i + 1] += offsets[i];
        }
        let mut cursor = offsets.clone();
        let mut items = vec![0u32; rows.len()];
        let mut ratings = vec![0f32; rows.len()];
        for ((&r, &c), &v) in rows.iter().zip(cols).zip(vals) {
            let p = &mut cursor[r as usize];
            items[*p] = c;
            ratings[*p] = v;
            *p += 1;
        }
        Self {
            offsets,
            items,
            ratings,
        }
    }

    /// Number of rows.
    pub fn n_rows(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    /// Row `u`'s columns and values.
    #[inline]
    pub fn row(&self, u: usize) -> (&[u32], &[f32]) {
        let (a, b) = (self.offsets[u], self.offsets[u + 1]);
        (&self.items[a..b], &self.ratings[a..b])
    }

    /// Number of entries in row `u`.
    #[inline]
    pub fn row_len(&self, u: usize) -> usize {
        self.offsets[u + 1] - self.offsets[u]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csr_groups_rows_in_order() {
        let mut t = Triplets::with_capacity(3, 4, RatingScale::MOVIELENS, 4);
        t.push(2, 0, 1.0);
        t.push(0, 3, 5.0);
        t.push(2, 1, 3.0);
        t.push(0, 2, 4.0);
        let idx = t.by_user();
        assert_eq!(idx.row(0), (&[3u32, 2][..], &[5.0f32, 4.0][..]));
        assert_eq!(idx.row_len(1), 0);
        assert_eq!(idx.row(2), (&[0u32, 1][..], &[1.0f32, 3.0][..]));
        assert!((t.mean() - 3.25).abs() < 1e-12);
        assert_eq!(t.user_counts(), vec![2, 0, 2]);
    }

    #[test]
    fn clip_and_contains() {
        let s = RatingScale::MOVIELENS;
        assert_eq!(s.clip(7.0), 5.0);
        assert_eq!(s.clip(-1.0), 1.0);
        assert!(s.contains(3.0) && !s.contains(0.5));
    }
}
