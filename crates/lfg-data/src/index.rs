//! Dense indexing of raw ids and the rating-table checks that need it.

use std::collections::HashMap;

use lfg_core::{RatingScale, Ratings};

use crate::error::DataError;
use crate::table::TextFile;

/// Raw ratings as parsed from a file, before indexing.
#[derive(Debug, Default)]
pub(crate) struct RawRatings {
    pub user: Vec<i64>,
    pub item: Vec<i64>,
    pub rating: Vec<f32>,
    pub timestamp: Option<Vec<i64>>,
}

/// Maps raw ids to dense indices `0..n` in sorted raw-id order.
#[derive(Debug)]
pub(crate) struct DenseIndex {
    /// Sorted distinct raw ids: `ids[dense] = raw`.
    pub ids: Vec<i64>,
    lookup: Lookup,
}

#[derive(Debug)]
enum Lookup {
    /// Direct table over `min..=max` (ids are compact, the usual case).
    Table { min: i64, dense: Vec<u32> },
    /// Hash map for sparse id ranges.
    Map(HashMap<i64, u32>),
}

impl DenseIndex {
    /// Builds the index of the distinct values of `raw`.
    pub fn build(raw: &[i64]) -> Self {
        let (Some(&min), Some(&max)) = (raw.iter().min(), raw.iter().max()) else {
            return Self {
                ids: Vec::new(),
                lookup: Lookup::Map(HashMap::new()),
            };
        };
        let range = (max as i128 - min as i128 + 1) as u128;
        if range <= (4 * raw.len() as u128).max(1 << 16) {
            let mut dense = vec![u32::MAX; range as usize];
            for &r in raw {
                dense[(r - min) as usize] = 0;
            }
            let mut ids = Vec::new();
            for (off, d) in dense.iter_mut().enumerate() {
                if *d == 0 {
                    *d = ids.len() as u32;
                    ids.push(min + off as i64);
                }
            }
            Self {
                ids,
                lookup: Lookup::Table { min, dense },
            }
        } else {
            let mut ids = raw.to_vec();
            ids.sort_unstable();
            ids.dedup();
            let map = ids
                .iter()
                .enumerate()
                .map(|(d, &r)| (r, d as u32))
                .collect();
            Self {
                ids,
                lookup: Lookup::Map(map),
            }
        }
    }

    /// Dense index of `raw`, if present.
    #[inline]
    pub fn get(&self, raw: i64) -> Option<u32> {
        match &self.lookup {
            Lookup::Table { min, dense } => {
                let off = raw.checked_sub(*min)?;
                let d = *dense.get(usize::try_from(off).ok()?)?;
                (d != u32::MAX).then_some(d)
            }
            Lookup::Map(m) => m.get(&raw).copied(),
        }
    }

    /// Dense indices of every value of `raw` (all present by construction).
    pub fn map_all(&self, raw: &[i64]) -> Vec<u32> {
        raw.iter()
            .map(|&r| self.get(r).unwrap_or(u32::MAX))
            .collect()
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }
}

/// Checks the rating range and duplicates, and indexes users and items densely.
///
/// `header` is the number of header lines of `file`, used to turn rows into line numbers.
pub(crate) fn index_ratings(
    raw: RawRatings,
    scale: RatingScale,
    file: &TextFile,
    header: usize,
) -> Result<Ratings, DataError> {
    if let Some(row) = raw.rating.iter().position(|&r| !scale.contains(r)) {
        return Err(DataError::RatingOutOfRange {
            path: file.path.clone(),
            line: file.line_of_row(row, header),
            value: raw.rating[row],
            min: scale.min,
            max: scale.max,
        });
    }
    let users = DenseIndex::build(&raw.user);
    let items = DenseIndex::build(&raw.item);
    let user = users.map_all(&raw.user);
    let item = items.map_all(&raw.item);
    if let Some((first, dup)) = find_duplicate(&user, &item, users.len(), items.len()) {
        return Err(DataError::Duplicate {
            path: file.path.clone(),
            line: file.line_of_row(dup, header),
            first_line: file.line_of_row(first, header),
            user: raw.user[dup],
            item: raw.item[dup],
        });
    }
    Ok(Ratings {
        user,
        item,
        rating: raw.rating,
        timestamp: raw.timestamp,
        user_ids: users.ids,
        item_ids: items.ids,
        scale,
    })
}

/// The first row (in file order) that repeats an earlier `(user, item)` pair, with the row it
/// repeats. Linear time: rows are bucketed by user, then items are stamped per user.
pub(crate) fn find_duplicate(
    user: &[u32],
    item: &[u32],
    n_users: usize,
    n_items: usize,
) -> Option<(usize, usize)> {
    let mut offsets = vec![0usize; n_users + 1];
    for &u in user {
        offsets[u as usize + 1] += 1;
    }
    for i in 0..n_users {
        offsets[i + 1] += offsets[i];
    }
    let mut cursor = offsets.clone();
    let mut rows = vec![0u32; user.len()];
    for (r, &u) in user.iter().enumerate() {
        rows[cursor[u as usize]] = r as u32;
        cursor[u as usize] += 1;
    }
    // seen[item] = (user + 1, row) of the last stamp.
    let mut seen: Vec<(u32, u32)> = vec![(0, 0); n_items];
    let mut best: Option<(usize, usize)> = None;
    for u in 0..n_users {
        for &r in &rows[offsets[u]..offsets[u + 1]] {
            let i = item[r as usize] as usize;
            let (stamp, first) = seen[i];
            if stamp == u as u32 + 1 {
                if best.is_none_or(|(_, d)| (r as usize) < d) {
                    best = Some((first as usize, r as usize));
                }
            } else {
                seen[i] = (u as u32 + 1, r);
            }
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dense_index_is_sorted_and_compact() {
        let raw = [30, 10, 20, 10, 30];
        let d = DenseIndex::build(&raw);
        assert_eq!(d.ids, vec![10, 20, 30]);
        assert_eq!(d.map_all(&raw), vec![2, 0, 1, 0, 2]);
        assert_eq!(d.get(15), None);
        assert_eq!(d.get(-5), None);
    }

    #[test]
    fn dense_index_sparse_ids_use_a_map() {
        let raw = [1_000_000_000_000, -7, 5, -7];
        let d = DenseIndex::build(&raw);
        assert_eq!(d.ids, vec![-7, 5, 1_000_000_000_000]);
        assert_eq!(d.map_all(&raw), vec![2, 0, 1, 0]);
        assert_eq!(d.get(6), None);
    }

    #[test]
    fn duplicates_are_found_in_file_order() {
        // rows: (0,0) (1,1) (0,1) (1,1)* (0,0)*
        let user = [0, 1, 0, 1, 0];
        let item = [0, 1, 1, 1, 0];
        assert_eq!(find_duplicate(&user, &item, 2, 2), Some((1, 3)));
        assert_eq!(find_duplicate(&user[..3], &item[..3], 2, 2), None);
    }
}
