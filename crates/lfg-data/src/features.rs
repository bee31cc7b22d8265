//! Demographic feature vectors: the paper's auxiliary matrix E.
//!
//! Every user of ML-100k and ML-1M gets the same 31 columns, in this order:
//!
//! | columns | name(s) | encoding |
//! |---|---|---|
//! | 0 | `age` | age scaled to `[0, 1]`: `(age - min) / (max - min)` over the users of the data set (0 when all ages are equal). ML-100k: years; ML-1M: the age code (bucket lower bound, 1 = under 18) |
//! | 1..8 | `age-bucket=under-18`, `age-bucket=18-24`, `age-bucket=25-34`, `age-bucket=35-44`, `age-bucket=45-49`, `age-bucket=50-55`, `age-bucket=56+` | one-hot ML-1M age bucket; ML-100k ages in years map into the same buckets |
//! | 8..10 | `gender=F`, `gender=M` | one-hot |
//! | 10..31 | `occupation=<name>` | one-hot over 21 occupations: ML-100k's `u.occupation` names in file order, ML-1M's codes 0..20 with the labels of its README (`occupation=other`, `occupation=academic/educator`, ...) |
//!
//! The scaling uses only the users file (side information known when a user registers), never
//! ratings, so it leaks nothing from test ratings. Data sets without a users file
//! (`ratings.csv`) get [`FeatureMatrix::empty`] (width 0).

use lfg_core::FeatureMatrix;

use crate::meta::{AGE_BUCKETS, Gender, Users};

/// Column names of the demographic matrix for the given occupation names.
pub fn feature_names(occupations: &[String]) -> Vec<String> {
    let mut names = Vec::with_capacity(1 + AGE_BUCKETS.len() + 2 + occupations.len());
    names.push("age".to_string());
    names.extend(AGE_BUCKETS.iter().map(|(_, l)| format!("age-bucket={l}")));
    names.push("gender=F".to_string());
    names.push("gender=M".to_string());
    names.extend(occupations.iter().map(|o| format!("occupation={o}")));
    names
}

/// Encodes the users table (see the module docs); empty when there is no users table.
pub fn demographic_features(users: &Users) -> FeatureMatrix {
    if users.rows.is_empty() {
        return FeatureMatrix::empty();
    }
    let names = feature_names(&users.occupations);
    let width = names.len();
    let min = users.rows.iter().map(|u| u.age).min().unwrap_or(0);
    let max = users.rows.iter().map(|u| u.age).max().unwrap_or(0);
    let span = f32::from(max - min);
    let gender_col = 1 + AGE_BUCKETS.len();
    let occ_col = gender_col + 2;
    let mut data = vec![0f32; users.rows.len() * width];
    for (row, u) in data.chunks_exact_mut(width).zip(&users.rows) {
        row[0] = if span > 0.0 {
            f32::from(u.age - min) / span
        } else {
            0.0
        };
        row[1 + u.age_bucket] = 1.0;
        row[gender_col + usize::from(u.gender == Gender::M)] = 1.0;
        row[occ_col + u.occupation] = 1.0;
    }
    FeatureMatrix { width, data, names }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meta::User;

    fn user(id: i64, age: u8, gender: Gender, occupation: usize) -> User {
        User {
            id,
            age,
            age_bucket: crate::meta::age_bucket(age),
            gender,
            occupation,
            zip: String::new(),
        }
    }

    #[test]
    fn encoding_is_one_hot_and_scaled() {
        let users = Users {
            rows: vec![
                user(1, 20, Gender::F, 2),
                user(2, 60, Gender::M, 0),
                user(3, 40, Gender::M, 1),
            ],
            occupations: vec!["a".into(), "b".into(), "c".into()],
        };
        let f = demographic_features(&users);
        assert_eq!(f.width, 1 + 7 + 2 + 3);
        assert_eq!(f.names.len(), f.width);
        assert_eq!(f.n_rows(), 3);
        assert_eq!(f.names[0], "age");
        assert_eq!(f.names[8], "gender=F");
        assert_eq!(f.names[12], "occupation=c");
        let r0 = f.row(0);
        assert_eq!(r0[0], 0.0);
        assert_eq!(r0[1 + 1], 1.0); // 18-24
        assert_eq!(r0[8], 1.0);
        assert_eq!(r0[12], 1.0);
        assert_eq!(f.row(1)[0], 1.0);
        assert!((f.row(2)[0] - 0.5).abs() < 1e-6);
        for u in 0..3 {
            let r = f.row(u);
            // exactly one bucket, one gender, one occupation
            assert_eq!(r[1..8].iter().sum::<f32>(), 1.0);
            assert_eq!(r[8..10].iter().sum::<f32>(), 1.0);
            assert_eq!(r[10..].iter().sum::<f32>(), 1.0);
            assert!((0.0..=1.0).contains(&r[0]));
        }
    }

    #[test]
    fn no_users_no_columns() {
        let f = demographic_features(&Users::default());
        assert_eq!(f.width, 0);
        assert!(f.row(0).is_empty());
    }
}
