//! Loaders on small synthetic fixtures: good files and one test per error kind.

mod common;

use std::path::Path;

use common::*;
use lfg_data::{DataError, DatasetId, Gender, load};

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

fn load_100k_with(u_data: &[u8]) -> (tempfile::TempDir, Result<lfg_data::Dataset, DataError>) {
    let dir = tmp();
    write_ml100k(dir.path(), u_data);
    let r = load(&DatasetId::Ml100k, dir.path());
    (dir, r)
}

fn ends_with(p: &Path, name: &str) -> bool {
    p.file_name().is_some_and(|f| f == name)
}

#[test]
fn ml100k_fixture_loads_with_dense_sorted_ids() {
    let (_d, r) = load_100k_with(U_DATA.as_bytes());
    let d = r.unwrap();
    let r = &d.ratings;
    assert_eq!(r.len(), 8);
    assert_eq!(r.user_ids, vec![1, 2, 3]);
    assert_eq!(r.item_ids, vec![5, 10, 20]);
    // first line: user 3, item 10, rating 4
    assert_eq!((r.user[0], r.item[0], r.rating[0]), (2, 1, 4.0));
    assert_eq!(r.timestamp.as_ref().unwrap()[0], 881250949);
    // users and items aligned with dense indices
    assert_eq!(d.users.rows.len(), 3);
    assert_eq!(d.users.rows[1].id, 2);
    assert_eq!(d.users.rows[1].gender, Gender::F);
    assert_eq!(d.users.rows[2].zip, "T8H1N");
    assert_eq!(d.users.occupations, vec!["engineer", "other", "student"]);
    assert_eq!(d.items.rows.len(), 3, "never-rated item 30 is dropped");
    assert_eq!(d.items.rows[0].title, "unknown");
    assert_eq!(d.items.rows[0].release_date, None);
    assert_eq!(d.items.rows[1].year, Some(1995));
    assert_eq!(d.items.rows[1].genres, vec![3, 4, 5]);
    assert_eq!(
        d.items.rows[2].title, "Café \"Noir\" (1996)",
        "Latin-1 decoded"
    );
    assert_eq!(d.items.genres.len(), 19);
    // features: 1 + 7 + 2 + 3 columns
    let f = &d.features;
    assert_eq!(f.width, 13);
    assert_eq!(f.n_rows(), 3);
    assert_eq!(f.names.len(), 13);
    // user 3 (dense 2): age 17 -> min age -> 0, bucket under-18, M, student
    let row = f.row(2);
    assert_eq!(row[0], 0.0);
    assert_eq!(row[1], 1.0);
    assert_eq!(row[9], 1.0);
    assert_eq!(row[12], 1.0);
    // user 2: age 53 is the max
    assert_eq!(f.row(1)[0], 1.0);
    assert_eq!(f.names[6], "age-bucket=50-55");
    assert_eq!(f.row(1)[6], 1.0);
}

#[test]
fn ml1m_fixture_loads_with_3_or_4_fields() {
    for (ratings, ts) in [(RATINGS_DAT_3, false), (RATINGS_DAT_4, true)] {
        let dir = tmp();
        write_ml1m(dir.path(), ratings.as_bytes());
        let d = load(&DatasetId::Ml1m, dir.path()).unwrap();
        assert_eq!(d.ratings.len(), 6);
        assert_eq!(d.ratings.n_users(), 3);
        assert_eq!(
            d.ratings.item_ids,
            vec![1, 2, 3],
            "never-rated movie 4 dropped"
        );
        assert_eq!(d.ratings.timestamp.is_some(), ts);
        assert_eq!(
            d.items.rows[1].title,
            "Star Wars: Episode IV - A New Hope (1977)"
        );
        assert_eq!(d.items.rows[1].year, Some(1977));
        assert_eq!(d.items.rows[2].title, "Cité des enfants perdus, La (1995)");
        assert_eq!(d.items.rows[0].genres.len(), 3);
        assert_eq!(d.users.rows[0].gender, Gender::F);
        assert_eq!(d.users.rows[1].age, 56);
        assert_eq!(d.features.width, 31);
        assert_eq!(d.features.names[10], "occupation=other");
        // user 1: age code 1 -> 0.0, bucket under-18, F, occupation 10 (K-12 student)
        let row = d.features.row(0);
        assert_eq!(row[0], 0.0);
        assert_eq!(row[1], 1.0);
        assert_eq!(row[8], 1.0);
        assert_eq!(row[10 + 10], 1.0);
        assert_eq!(d.features.row(1)[0], 1.0);
    }
}

#[test]
fn ratings_csv_loads_half_stars_without_features() {
    let dir = tmp();
    let p = dir.path().join("ratings.csv");
    std::fs::write(
        &p,
        "userId,movieId,rating,timestamp\n10,100,4.5,1\n10,200,0.5,2\n7,100,3.0,3\n",
    )
    .unwrap();
    let d = load(&DatasetId::Csv(p.clone()), dir.path()).unwrap();
    assert_eq!(d.ratings.user_ids, vec![7, 10]);
    assert_eq!(d.ratings.rating, vec![4.5, 0.5, 3.0]);
    assert_eq!(d.ratings.user, vec![1, 1, 0]);
    assert_eq!(d.features.width, 0);
    assert!(d.users.is_empty() && d.items.is_empty());
    std::fs::write(&p, "userId,movieId,rating\n1,2,3\n").unwrap();
    let d = load(&DatasetId::Csv(p.clone()), dir.path()).unwrap();
    assert!(d.ratings.timestamp.is_none());
    std::fs::write(&p, "user,item,rating\n1,2,3\n").unwrap();
    let e = load(&DatasetId::Csv(p.clone()), dir.path()).unwrap_err();
    assert!(
        matches!(e, DataError::BadValue { line: 1, ref field, .. } if field == "header"),
        "{e}"
    );
    std::fs::write(&p, "userId,movieId,rating\n").unwrap();
    let e = load(&DatasetId::Csv(p), dir.path()).unwrap_err();
    assert!(matches!(e, DataError::Empty { .. }), "{e}");
}

#[test]
fn error_wrong_field_count() {
    let data = "1\t10\t5\t1\n2\t10\t4\t2\n3\t20\t3\n";
    let (_d, r) = load_100k_with(data.as_bytes());
    let e = r.unwrap_err();
    assert!(
        matches!(e, DataError::FieldCount { line: 3, found: 3, ref path, .. } if ends_with(path, "u.data")),
        "{e}"
    );
    assert!(e.to_string().contains("u.data:3"), "{e}");
    // too many fields
    let data = "1\t10\t5\t1\n2\t10\t4\t2\t9\n";
    let e = load_100k_with(data.as_bytes()).1.unwrap_err();
    assert!(
        matches!(
            e,
            DataError::FieldCount {
                line: 2,
                found: 5,
                ..
            }
        ),
        "{e}"
    );
    // ML-1M: first line decides 3 or 4 fields; others must agree
    let dir = tmp();
    write_ml1m(dir.path(), b"1::1::5\n1::2::3::978302109\n");
    let e = load(&DatasetId::Ml1m, dir.path()).unwrap_err();
    assert!(
        matches!(
            e,
            DataError::FieldCount {
                line: 2,
                found: 4,
                ..
            }
        ),
        "{e}"
    );
    write_ml1m(dir.path(), b"1::1::5::1::9\n");
    let e = load(&DatasetId::Ml1m, dir.path()).unwrap_err();
    assert!(
        matches!(e, DataError::FieldCount { line: 1, found: 5, ref expected, .. } if expected == "3 or 4"),
        "{e}"
    );
    // a short line in a side file (string columns)
    let dir = tmp();
    write_ml100k(dir.path(), U_DATA.as_bytes());
    std::fs::write(
        dir.path().join("ml-100k/u.user"),
        "1|24|M|engineer|85711\n2|53|F|other\n",
    )
    .unwrap();
    let e = load(&DatasetId::Ml100k, dir.path()).unwrap_err();
    assert!(
        matches!(e, DataError::FieldCount { line: 2, found: 4, ref path, .. } if ends_with(path, "u.user")),
        "{e}"
    );
}

#[test]
fn error_non_numeric_field() {
    let data = "1\t10\t5\t1\n2\tabc\t4\t2\n";
    let e = load_100k_with(data.as_bytes()).1.unwrap_err();
    assert!(
        matches!(e, DataError::NotNumeric { line: 2, ref field, ref value, .. } if field == "item" && value == "abc"),
        "{e}"
    );
    let dir = tmp();
    write_ml1m(dir.path(), b"1::1::5\n1::2::x\n");
    let e = load(&DatasetId::Ml1m, dir.path()).unwrap_err();
    assert!(
        matches!(e, DataError::NotNumeric { line: 2, ref field, .. } if field == "rating"),
        "{e}"
    );
}

#[test]
fn error_rating_out_of_range() {
    let data = "1\t10\t5\t1\n2\t10\t4\t2\n3\t10\t2\t3\n1\t20\t6\t4\n";
    let e = load_100k_with(data.as_bytes()).1.unwrap_err();
    assert!(
        matches!(
            e,
            DataError::RatingOutOfRange {
                line: 4,
                value: 6.0,
                ..
            }
        ),
        "{e}"
    );
    let data = "1\t10\t0\t1\n";
    let e = load_100k_with(data.as_bytes()).1.unwrap_err();
    assert!(
        matches!(e, DataError::RatingOutOfRange { line: 1, .. }),
        "{e}"
    );
}

#[test]
fn error_duplicate_rating() {
    let data = "1\t10\t5\t1\n2\t10\t4\t2\n3\t10\t2\t3\n2\t20\t3\t4\n1\t10\t1\t5\n";
    let e = load_100k_with(data.as_bytes()).1.unwrap_err();
    assert!(
        matches!(
            e,
            DataError::Duplicate {
                line: 5,
                first_line: 1,
                user: 1,
                item: 10,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn error_user_missing_from_users_file() {
    let data = "1\t10\t5\t1\n2\t10\t4\t2\n9\t10\t2\t3\n";
    let e = load_100k_with(data.as_bytes()).1.unwrap_err();
    assert!(
        matches!(e, DataError::UnknownId { line: 3, what: "user", id: 9, ref side_file, .. } if ends_with(side_file, "u.user")),
        "{e}"
    );
    let dir = tmp();
    write_ml1m(dir.path(), b"1::1::5\n4::2::3\n");
    let e = load(&DatasetId::Ml1m, dir.path()).unwrap_err();
    assert!(
        matches!(e, DataError::UnknownId { line: 2, id: 4, .. }),
        "{e}"
    );
}

#[test]
fn error_bad_encoding() {
    let e = load_100k_with(b"1\t10\t5\t1\n2\t1\xff0\t4\t2\n")
        .1
        .unwrap_err();
    assert!(
        matches!(e, DataError::BadEncoding { line: 2, ref path, .. } if ends_with(path, "u.data")),
        "{e}"
    );
    // binary junk in a Latin-1 file
    let dir = tmp();
    write_ml1m(dir.path(), RATINGS_DAT_3.as_bytes());
    std::fs::write(
        dir.path().join("ml-1m/movies.dat"),
        b"1::Toy\0Story (1995)::Comedy\n",
    )
    .unwrap();
    let e = load(&DatasetId::Ml1m, dir.path()).unwrap_err();
    assert!(matches!(e, DataError::BadEncoding { line: 1, .. }), "{e}");
}

#[test]
fn error_empty_file() {
    let e = load_100k_with(b"").1.unwrap_err();
    assert!(
        matches!(e, DataError::Empty { ref path } if ends_with(path, "u.data")),
        "{e}"
    );
    let e = load_100k_with(b"\n\n").1.unwrap_err();
    assert!(matches!(e, DataError::Empty { .. }), "{e}");
}

#[test]
fn error_missing_file_says_how_to_fetch() {
    let dir = tmp();
    let e = load(&DatasetId::Ml1m, dir.path()).unwrap_err();
    let DataError::MissingFile { ref path, .. } = e else {
        panic!("{e}")
    };
    assert_eq!(path, &dir.path().join("ml-1m").join("ratings.dat"));
    let msg = e.to_string();
    assert!(msg.contains("lfg data fetch ml-1m"), "{msg}");
    assert!(
        msg.contains("LFG_DATA_DIR") && msg.contains("--data-dir"),
        "{msg}"
    );
    assert!(
        msg.contains(&dir.path().join("ml-1m/ratings.dat").display().to_string()),
        "{msg}"
    );
    // a side file missing
    write_ml100k(dir.path(), U_DATA.as_bytes());
    std::fs::remove_file(dir.path().join("ml-100k/u.genre")).unwrap();
    let e = load(&DatasetId::Ml100k, dir.path()).unwrap_err();
    assert!(
        matches!(e, DataError::MissingFile { ref path, .. } if ends_with(path, "u.genre")),
        "{e}"
    );
    assert!(e.to_string().contains("lfg data fetch ml-100k"));
}

#[test]
fn error_bad_side_values() {
    let dir = tmp();
    write_ml100k(dir.path(), U_DATA.as_bytes());
    std::fs::write(
        dir.path().join("ml-100k/u.user"),
        "1|24|M|engineer|1\n2|53|X|other|2\n3|17|M|student|3\n",
    )
    .unwrap();
    let e = load(&DatasetId::Ml100k, dir.path()).unwrap_err();
    assert!(
        matches!(e, DataError::BadValue { line: 2, ref field, .. } if field == "gender"),
        "{e}"
    );
    std::fs::write(
        dir.path().join("ml-100k/u.user"),
        "1|24|M|engineer|1\n2|53|F|pilot|2\n3|17|M|student|3\n",
    )
    .unwrap();
    let e = load(&DatasetId::Ml100k, dir.path()).unwrap_err();
    assert!(
        matches!(e, DataError::BadValue { line: 2, ref field, .. } if field == "occupation"),
        "{e}"
    );
    std::fs::write(
        dir.path().join("ml-100k/u.user"),
        "1|24|M|engineer|1\n2|53|F|other|2\n1|17|M|student|3\n",
    )
    .unwrap();
    let e = load(&DatasetId::Ml100k, dir.path()).unwrap_err();
    assert!(
        matches!(
            e,
            DataError::DuplicateId {
                line: 3,
                first_line: 1,
                ..
            }
        ),
        "{e}"
    );
    let dir = tmp();
    write_ml1m(dir.path(), RATINGS_DAT_3.as_bytes());
    std::fs::write(
        dir.path().join("ml-1m/users.dat"),
        "1::F::1::10::1\n2::M::57::16::2\n3::M::25::15::3\n",
    )
    .unwrap();
    let e = load(&DatasetId::Ml1m, dir.path()).unwrap_err();
    assert!(
        matches!(e, DataError::BadValue { line: 2, ref field, .. } if field == "age"),
        "{e}"
    );
}

#[test]
fn predefined_folds_map_to_rows() {
    let dir = tmp();
    write_ml100k(dir.path(), U_DATA.as_bytes());
    let lines: Vec<&str> = U_DATA.lines().collect();
    let d = dir.path().join("ml-100k");
    for f in 1..=5usize {
        // test: lines f-1 and f+2 (mod 8); base: the rest
        let test_idx = [(f - 1) % 8, (f + 2) % 8];
        let (mut base, mut test) = (String::new(), String::new());
        for (i, l) in lines.iter().enumerate() {
            let s = if test_idx.contains(&i) {
                &mut test
            } else {
                &mut base
            };
            s.push_str(l);
            s.push('\n');
        }
        std::fs::write(d.join(format!("u{f}.base")), base).unwrap();
        std::fs::write(d.join(format!("u{f}.test")), test).unwrap();
    }
    let ds = load(&DatasetId::Ml100k, dir.path()).unwrap();
    let folds = lfg_data::split::predefined(&ds.ratings, dir.path()).unwrap();
    assert_eq!(folds.len(), 5);
    for (f, fold) in folds.iter().enumerate() {
        let mut expect = vec![f as u32 % 8, (f as u32 + 3) % 8];
        expect.sort_unstable();
        assert_eq!(fold.test, expect);
        assert_eq!(fold.train.len(), 6);
    }
    // a line that matches no rating
    std::fs::write(d.join("u3.test"), format!("{}\n3\t5\t4\t1\n", lines[2])).unwrap();
    let e = lfg_data::split::predefined(&ds.ratings, dir.path()).unwrap_err();
    assert!(
        matches!(e, DataError::UnmatchedRating { line: 2, user: 3, item: 5, ref path, .. } if ends_with(path, "u3.test")),
        "{e}"
    );
}
