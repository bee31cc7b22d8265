//! User and item side tables.

use serde::{Deserialize, Serialize};

/// A user's gender as recorded by MovieLens.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Gender {
    /// Female (`F`).
    F,
    /// Male (`M`).
    M,
}

/// The seven ML-1M age buckets, used for both MovieLens data sets.
///
/// `AGE_BUCKETS[b]` is `(ML-1M age code, label)`; the code is the bucket's lower bound (`1`
/// stands for "under 18").
pub const AGE_BUCKETS: [(u8, &str); 7] = [
    (1, "under-18"),
    (18, "18-24"),
    (25, "25-34"),
    (35, "35-44"),
    (45, "45-49"),
    (50, "50-55"),
    (56, "56+"),
];

/// The bucket (index into [`AGE_BUCKETS`]) of an age in years.
pub fn age_bucket(age_years: u8) -> usize {
    AGE_BUCKETS
        .iter()
        .rposition(|&(lo, _)| age_years >= lo)
        .unwrap_or(0)
}

/// One user of a data set with a users file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct User {
    /// Raw user id.
    pub id: i64,
    /// ML-100k: age in years. ML-1M: the age code (lower bound of the age bucket, `1` =
    /// under 18).
    pub age: u8,
    /// Index into [`AGE_BUCKETS`].
    pub age_bucket: usize,
    /// Gender.
    pub gender: Gender,
    /// Occupation index into [`Users::occupations`].
    pub occupation: usize,
    /// Zip code as written in the file.
    pub zip: String,
}

/// Side information about users, one row per dense user index.
///
/// Empty (`rows` and `occupations` empty) for data sets without a users file (`ratings.csv`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Users {
    /// `rows[u]` describes dense user `u`.
    pub rows: Vec<User>,
    /// Occupation names: ML-100k's `u.occupation` (21 names) or ML-1M's 21 codes' labels.
    pub occupations: Vec<String>,
}

impl Users {
    /// Whether the data set has no users file.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

/// One item (movie).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Item {
    /// Raw item id.
    pub id: i64,
    /// Title, including the `(Year)` suffix as in the file.
    pub title: String,
    /// The year from the title's `(Year)` suffix, when there is one.
    pub year: Option<i32>,
    /// ML-100k release date (e.g. `01-Jan-1995`); `None` for ML-1M or when empty.
    pub release_date: Option<String>,
    /// Genre indices into [`Items::genres`].
    pub genres: Vec<u16>,
}

/// Side information about items, one row per dense item index.
///
/// Empty for data sets without an items file (`ratings.csv`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Items {
    /// `rows[i]` describes dense item `i`.
    pub rows: Vec<Item>,
    /// Genre names (ML-100k: `u.genre`, 19 including `unknown`; ML-1M: the 18 of its README).
    pub genres: Vec<String>,
}

impl Items {
    /// Whether the data set has no items file.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

/// The year in a `Title (Year)` string.
pub(crate) fn title_year(title: &str) -> Option<i32> {
    let t = title.trim_end();
    let inner = t.strip_suffix(')')?;
    let open = inner.rfind('(')?;
    let y = &inner[open + 1..];
    if y.len() == 4 && y.bytes().all(|b| b.is_ascii_digit()) {
        y.parse().ok()
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_follow_ml1m_codes() {
        assert_eq!(age_bucket(7), 0);
        assert_eq!(age_bucket(17), 0);
        assert_eq!(age_bucket(18), 1);
        assert_eq!(age_bucket(24), 1);
        assert_eq!(age_bucket(25), 2);
        assert_eq!(age_bucket(49), 4);
        assert_eq!(age_bucket(50), 5);
        assert_eq!(age_bucket(56), 6);
        assert_eq!(age_bucket(90), 6);
        // ML-1M codes map onto their own bucket.
        for (b, &(code, _)) in AGE_BUCKETS.iter().enumerate() {
            assert_eq!(age_bucket(code), b);
        }
    }

    #[test]
    fn years_from_titles() {
        assert_eq!(title_year("Toy Story (1995)"), Some(1995));
        assert_eq!(
            title_year("City of Lost Children, The (Cité des enfants perdus, La) (1995)"),
            Some(1995)
        );
        assert_eq!(title_year("unknown"), None);
        assert_eq!(title_year("Foo (abcd)"), None);
    }
}
