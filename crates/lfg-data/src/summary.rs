//! A data set's vital statistics (`lfg data check`).

use serde::Serialize;

use crate::Dataset;

/// Counts and distributions of a data set.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DataSummary {
    /// `ml-100k`, `ml-1m` or `csv:<path>`.
    pub dataset: String,
    /// Number of users (with at least one rating).
    pub users: usize,
    /// Number of items (with at least one rating).
    pub items: usize,
    /// Number of ratings.
    pub ratings: usize,
    /// `ratings / (users * items)`.
    pub density: f64,
    /// Mean rating.
    pub mean_rating: f64,
    /// `(rating value, count)`, ascending by value.
    pub rating_histogram: Vec<(f32, usize)>,
    /// Fewest ratings of a user.
    pub min_ratings_per_user: usize,
    /// Median number of ratings per user (mean of the two middle values for an even count).
    pub median_ratings_per_user: f64,
    /// Most ratings of a user.
    pub max_ratings_per_user: usize,
    /// Fewest ratings of an item.
    pub min_ratings_per_item: usize,
    /// Most ratings of an item.
    pub max_ratings_per_item: usize,
    /// Whether the ratings carry timestamps.
    pub has_timestamps: bool,
    /// Width of the demographic feature matrix (0 without a users file).
    pub feature_width: usize,
}

fn median(sorted: &[usize]) -> f64 {
    match sorted.len() {
        0 => 0.0,
        n if n % 2 == 1 => sorted[n / 2] as f64,
        n => (sorted[n / 2 - 1] + sorted[n / 2]) as f64 / 2.0,
    }
}

/// Summarises a loaded data set.
pub fn summary(d: &Dataset) -> DataSummary {
    let r = &d.ratings;
    let mut per_user = vec![0usize; r.n_users()];
    for &u in &r.user {
        per_user[u as usize] += 1;
    }
    let mut per_item = vec![0usize; r.n_items()];
    for &i in &r.item {
        per_item[i as usize] += 1;
    }
    per_user.sort_unstable();
    let mut values: Vec<f32> = r.rating.clone();
    values.sort_unstable_by(f32::total_cmp);
    let mut histogram: Vec<(f32, usize)> = Vec::new();
    for v in values {
        match histogram.last_mut() {
            Some((last, c)) if *last == v => *c += 1,
            _ => histogram.push((v, 1)),
        }
    }
    let cells = r.n_users() as f64 * r.n_items() as f64;
    DataSummary {
        dataset: d.id.to_string(),
        users: r.n_users(),
        items: r.n_items(),
        ratings: r.len(),
        density: if cells > 0.0 {
            r.len() as f64 / cells
        } else {
            0.0
        },
        mean_rating: r.all().mean(),
        rating_histogram: histogram,
        min_ratings_per_user: per_user.first().copied().unwrap_or(0),
        median_ratings_per_user: median(&per_user),
        max_ratings_per_user: per_user.last().copied().unwrap_or(0),
        min_ratings_per_item: per_item.iter().copied().min().unwrap_or(0),
        max_ratings_per_item: per_item.iter().copied().max().unwrap_or(0),
        has_timestamps: r.timestamp.is_some(),
        feature_width: d.features.width,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians() {
        assert_eq!(median(&[]), 0.0);
        assert_eq!(median(&[3]), 3.0);
        assert_eq!(median(&[1, 2, 10]), 2.0);
        assert_eq!(median(&[1, 2, 4, 10]), 3.0);
    }
}
