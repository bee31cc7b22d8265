//! Loaders for MovieLens-100k, MovieLens-1M and generic `ratings.csv` files.

use std::collections::HashMap;
use std::path::Path;

use lfg_core::{RatingScale, Ratings};

use crate::error::DataError;
use crate::features::demographic_features;
use crate::index::{RawRatings, index_ratings};
use crate::meta::{AGE_BUCKETS, Gender, Item, Items, User, Users, age_bucket, title_year};
use crate::table::{Col, Encoding, Kind, Missing, Sep, TextFile, col, read_text};
use crate::{Dataset, DatasetId};

/// ML-1M occupation labels, by code (README of ML-1M).
pub const ML1M_OCCUPATIONS: [&str; 21] = [
    "other",
    "academic/educator",
    "artist",
    "clerical/admin",
    "college/grad student",
    "customer service",
    "doctor/health care",
    "executive/managerial",
    "farmer",
    "homemaker",
    "K-12 student",
    "lawyer",
    "programmer",
    "retired",
    "sales/marketing",
    "scientist",
    "self-employed",
    "technician/engineer",
    "tradesman/craftsman",
    "unemployed",
    "writer",
];

/// ML-1M genres (README of ML-1M).
pub const ML1M_GENRES: [&str; 18] = [
    "Action",
    "Adventure",
    "Animation",
    "Children's",
    "Comedy",
    "Crime",
    "Documentary",
    "Drama",
    "Fantasy",
    "Film-Noir",
    "Horror",
    "Musical",
    "Mystery",
    "Romance",
    "Sci-Fi",
    "Thriller",
    "War",
    "Western",
];

/// Rating scale of generic `ratings.csv` files (MovieLens "latest", 20M, 25M: half stars).
pub const CSV_SCALE: RatingScale = RatingScale { min: 0.5, max: 5.0 };

const RATING_COLS_4: [Col; 4] = [
    col("user", Kind::Int),
    col("item", Kind::Int),
    col("rating", Kind::Float),
    col("timestamp", Kind::Int),
];

/// Parses a rating file with 3 or 4 columns (`user`, `item`, `rating`, optional `timestamp`).
fn read_ratings(
    file: &TextFile,
    sep: Sep,
    n_cols: usize,
    header: usize,
) -> Result<RawRatings, DataError> {
    let cols = &RATING_COLS_4[..n_cols];
    let df = file.to_frame(sep, cols, header, false)?;
    Ok(RawRatings {
        user: file.ints(&df, "user")?,
        item: file.ints(&df, "item")?,
        rating: file.floats(&df, "rating")?,
        timestamp: if n_cols == 4 {
            Some(file.ints(&df, "timestamp")?)
        } else {
            None
        },
    })
}

/// The first line of `ratings` whose user (or item) has dense index `dense`.
fn line_of_dense(ratings: &[u32], dense: usize, file: &TextFile, header: usize) -> usize {
    let row = ratings
        .iter()
        .position(|&x| x as usize == dense)
        .unwrap_or(0);
    file.line_of_row(row, header)
}

fn bad_value(file: &TextFile, row: usize, field: &str, value: String, reason: String) -> DataError {
    DataError::BadValue {
        path: file.path.clone(),
        line: file.line_of_row(row, 0),
        field: field.to_string(),
        value,
        reason,
    }
}

/// The records of a side file (users or items) keyed by raw id, each with the row it came
/// from (for error messages).
struct SideRecords<T> {
    what: &'static str,
    map: HashMap<i64, (usize, T)>,
}

impl<T: Clone> SideRecords<T> {
    fn new(what: &'static str, capacity: usize) -> Self {
        Self {
            what,
            map: HashMap::with_capacity(capacity),
        }
    }

    /// Adds the record `id -> value` read at `row` of `file`, rejecting an id listed twice.
    fn insert(&mut self, file: &TextFile, row: usize, id: i64, value: T) -> Result<(), DataError> {
        if let Some((first, _)) = self.map.get(&id) {
            return Err(DataError::DuplicateId {
                path: file.path.clone(),
                line: file.line_of_row(row, 0),
                first_line: file.line_of_row(*first, 0),
                what: self.what,
                id,
            });
        }
        self.map.insert(id, (row, value));
        Ok(())
    }

    /// The record of each dense id (`ids[d]` is the raw id of dense index `d`), in dense
    /// order; a rated id without a record is an error naming its first rating in
    /// `ratings_file` (`dense_col` is the ratings' column of dense indices).
    fn align(
        self,
        ids: &[i64],
        dense_col: &[u32],
        ratings_file: &TextFile,
        side_file: &Path,
    ) -> Result<Vec<T>, DataError> {
        ids.iter()
            .enumerate()
            .map(|(d, id)| {
                self.map
                    .get(id)
                    .map(|(_, v)| v.clone())
                    .ok_or_else(|| DataError::UnknownId {
                        path: ratings_file.path.clone(),
                        line: line_of_dense(dense_col, d, ratings_file, 0),
                        what: self.what,
                        id: *id,
                        side_file: side_file.to_path_buf(),
                    })
            })
            .collect()
    }
}

fn parse_gender(file: &TextFile, row: usize, g: &str) -> Result<Gender, DataError> {
    match g {
        "F" => Ok(Gender::F),
        "M" => Ok(Gender::M),
        _ => Err(bad_value(
            file,
            row,
            "gender",
            g.to_string(),
            "expected F or M".to_string(),
        )),
    }
}

/// Reads a one-name-per-line list (`u.occupation`) or `name|index` list (`u.genre`).
fn read_name_list(
    dir: &Path,
    name: &str,
    with_index: bool,
) -> Result<(TextFile, Vec<String>), DataError> {
    let file = read_text(
        &dir.join(name),
        Encoding::Latin1,
        Missing::Fetchable("ml-100k"),
    )?;
    let mut names = Vec::new();
    for (line, text) in file.data_lines(0) {
        let text = text.trim_end_matches('\r');
        if with_index {
            let Some((n, idx)) = text.rsplit_once('|') else {
                return Err(file.field_count(line, "2".into(), Sep::Byte(b'|'), 1));
            };
            if idx.parse::<usize>().ok() != Some(names.len()) {
                return Err(DataError::BadValue {
                    path: file.path.clone(),
                    line,
                    field: "genre index".into(),
                    value: idx.to_string(),
                    reason: format!("expected {} (genres are listed in order)", names.len()),
                });
            }
            names.push(n.to_string());
        } else {
            names.push(text.trim().to_string());
        }
    }
    Ok((file, names))
}

/// Loads MovieLens-100k from `<data_dir>/ml-100k/`.
pub(crate) fn load_ml100k(data_dir: &Path) -> Result<Dataset, DataError> {
    let dir = data_dir.join("ml-100k");
    let fetchable = Missing::Fetchable("ml-100k");

    // Ratings: user \t item \t rating \t timestamp.
    let rfile = read_text(&dir.join("u.data"), Encoding::Utf8, fetchable)?;
    let raw = read_ratings(&rfile, Sep::Byte(b'\t'), 4, 0)?;
    let ratings = index_ratings(raw, RatingScale::MOVIELENS, &rfile, 0)?;

    // Users: id | age | gender | occupation | zip.
    let (_, occupations) = read_name_list(&dir, "u.occupation", false)?;
    let ufile = read_text(&dir.join("u.user"), Encoding::Latin1, fetchable)?;
    let cols = [
        col("id", Kind::Int),
        col("age", Kind::Int),
        col("gender", Kind::Str),
        col("occupation", Kind::Str),
        col("zip", Kind::Str),
    ];
    let df = ufile.to_frame(Sep::Byte(b'|'), &cols, 0, true)?;
    let (ids, ages) = (ufile.ints(&df, "id")?, ufile.ints(&df, "age")?);
    let (genders, occs, zips) = (
        ufile.strings(&df, "gender")?,
        ufile.strings(&df, "occupation")?,
        ufile.strings(&df, "zip")?,
    );
    let occ_index: HashMap<&str, usize> = occupations
        .iter()
        .enumerate()
        .map(|(i, o)| (o.as_str(), i))
        .collect();
    let mut users = SideRecords::new("user", ids.len());
    for row in 0..ids.len() {
        let age = u8::try_from(ages[row])
            .ok()
            .filter(|a| (1..=120).contains(a))
            .ok_or_else(|| {
                bad_value(
                    &ufile,
                    row,
                    "age",
                    ages[row].to_string(),
                    "expected an age in years, 1..=120".into(),
                )
            })?;
        let gender = parse_gender(&ufile, row, &genders[row])?;
        let occupation = *occ_index.get(occs[row].as_str()).ok_or_else(|| {
            bad_value(
                &ufile,
                row,
                "occupation",
                occs[row].clone(),
                format!("not listed in {}", dir.join("u.occupation").display()),
            )
        })?;
        let user = User {
            id: ids[row],
            age,
            age_bucket: age_bucket(age),
            gender,
            occupation,
            zip: zips[row].clone(),
        };
        users.insert(&ufile, row, ids[row], user)?;
    }
    let users = Users {
        rows: users.align(&ratings.user_ids, &ratings.user, &rfile, &ufile.path)?,
        occupations,
    };

    // Items: id | title | release date | video release date | url | 19 genre flags.
    let (_, genre_names) = read_name_list(&dir, "u.genre", true)?;
    const GENRE_COLS: [&str; 19] = [
        "g0", "g1", "g2", "g3", "g4", "g5", "g6", "g7", "g8", "g9", "g10", "g11", "g12", "g13",
        "g14", "g15", "g16", "g17", "g18",
    ];
    if genre_names.len() != GENRE_COLS.len() {
        return Err(DataError::BadValue {
            path: dir.join("u.genre"),
            line: genre_names.len(),
            field: "genre list".into(),
            value: genre_names.len().to_string(),
            reason: format!("expected {} genres", GENRE_COLS.len()),
        });
    }
    let ifile = read_text(&dir.join("u.item"), Encoding::Latin1, fetchable)?;
    let mut cols = vec![
        col("id", Kind::Int),
        col("title", Kind::Str),
        col("release", Kind::Str),
        col("video", Kind::Str),
        col("url", Kind::Str),
    ];
    cols.extend(GENRE_COLS.iter().map(|&g| col(g, Kind::Int)));
    let df = ifile.to_frame(Sep::Byte(b'|'), &cols, 0, true)?;
    let (ids, titles, releases) = (
        ifile.ints(&df, "id")?,
        ifile.strings(&df, "title")?,
        ifile.strings(&df, "release")?,
    );
    let flags = GENRE_COLS
        .iter()
        .map(|g| ifile.ints(&df, g))
        .collect::<Result<Vec<_>, _>>()?;
    let mut items = SideRecords::new("item", ids.len());
    for row in 0..ids.len() {
        let mut genres = Vec::new();
        for (g, f) in flags.iter().enumerate() {
            match f[row] {
                0 => {}
                1 => genres.push(g as u16),
                v => {
                    return Err(bad_value(
                        &ifile,
                        row,
                        &format!("genre flag {}", genre_names[g]),
                        v.to_string(),
                        "expected 0 or 1".into(),
                    ));
                }
            }
        }
        let item = Item {
            id: ids[row],
            year: title_year(&titles[row]),
            title: titles[row].clone(),
            release_date: (!releases[row].is_empty()).then(|| releases[row].clone()),
            genres,
        };
        items.insert(&ifile, row, ids[row], item)?;
    }
    let items = Items {
        rows: items.align(&ratings.item_ids, &ratings.item, &rfile, &ifile.path)?,
        genres: genre_names,
    };
    Ok(finish(DatasetId::Ml100k, ratings, users, items))
}

/// Loads MovieLens-1M from `<data_dir>/ml-1m/`.
pub(crate) fn load_ml1m(data_dir: &Path) -> Result<Dataset, DataError> {
    let dir = data_dir.join("ml-1m");
    let fetchable = Missing::Fetchable("ml-1m");

    // Ratings: user::item::rating[::timestamp].
    let rfile = read_text(&dir.join("ratings.dat"), Encoding::Utf8, fetchable)?;
    let n_cols = match rfile.first_field_count(Sep::DoubleColon, 0) {
        Some(n @ (3 | 4)) => n,
        Some(n) => {
            let line = rfile.data_lines(0).next().map(|(l, _)| l).unwrap_or(1);
            return Err(rfile.field_count(line, "3 or 4".into(), Sep::DoubleColon, n));
        }
        None => {
            return Err(DataError::Empty {
                path: rfile.path.clone(),
            });
        }
    };
    let raw = read_ratings(&rfile, Sep::DoubleColon, n_cols, 0)?;
    let ratings = index_ratings(raw, RatingScale::MOVIELENS, &rfile, 0)?;

    // Users: id::gender::age code::occupation code::zip.
    let ufile = read_text(&dir.join("users.dat"), Encoding::Latin1, fetchable)?;
    let cols = [
        col("id", Kind::Int),
        col("gender", Kind::Str),
        col("age", Kind::Int),
        col("occupation", Kind::Int),
        col("zip", Kind::Str),
    ];
    let df = ufile.to_frame(Sep::DoubleColon, &cols, 0, true)?;
    let (ids, ages, occs) = (
        ufile.ints(&df, "id")?,
        ufile.ints(&df, "age")?,
        ufile.ints(&df, "occupation")?,
    );
    let (genders, zips) = (ufile.strings(&df, "gender")?, ufile.strings(&df, "zip")?);
    let mut users = SideRecords::new("user", ids.len());
    for row in 0..ids.len() {
        let bucket = AGE_BUCKETS
            .iter()
            .position(|&(code, _)| i64::from(code) == ages[row])
            .ok_or_else(|| {
                bad_value(
                    &ufile,
                    row,
                    "age",
                    ages[row].to_string(),
                    "expected an ML-1M age code: 1, 18, 25, 35, 45, 50 or 56".into(),
                )
            })?;
        let occupation = usize::try_from(occs[row])
            .ok()
            .filter(|&o| o < ML1M_OCCUPATIONS.len())
            .ok_or_else(|| {
                bad_value(
                    &ufile,
                    row,
                    "occupation",
                    occs[row].to_string(),
                    "expected an ML-1M occupation code 0..=20".into(),
                )
            })?;
        let user = User {
            id: ids[row],
            age: AGE_BUCKETS[bucket].0,
            age_bucket: bucket,
            gender: parse_gender(&ufile, row, &genders[row])?,
            occupation,
            zip: zips[row].clone(),
        };
        users.insert(&ufile, row, ids[row], user)?;
    }
    let users = Users {
        rows: users.align(&ratings.user_ids, &ratings.user, &rfile, &ufile.path)?,
        occupations: ML1M_OCCUPATIONS.iter().map(|s| s.to_string()).collect(),
    };

    // Movies: id::Title (Year)::Genre|Genre.
    let mfile = read_text(&dir.join("movies.dat"), Encoding::Latin1, fetchable)?;
    let cols = [
        col("id", Kind::Int),
        col("title", Kind::Str),
        col("genres", Kind::Str),
    ];
    let df = mfile.to_frame(Sep::DoubleColon, &cols, 0, true)?;
    let (ids, titles, genre_lists) = (
        mfile.ints(&df, "id")?,
        mfile.strings(&df, "title")?,
        mfile.strings(&df, "genres")?,
    );
    let mut items = SideRecords::new("item", ids.len());
    for row in 0..ids.len() {
        let mut genres = Vec::new();
        for g in genre_lists[row].split('|').filter(|g| !g.is_empty()) {
            let idx = ML1M_GENRES.iter().position(|&n| n == g).ok_or_else(|| {
                bad_value(
                    &mfile,
                    row,
                    "genre",
                    g.to_string(),
                    format!("expected one of {}", ML1M_GENRES.join(", ")),
                )
            })?;
            genres.push(idx as u16);
        }
        let item = Item {
            id: ids[row],
            year: title_year(&titles[row]),
            title: titles[row].clone(),
            release_date: None,
            genres,
        };
        items.insert(&mfile, row, ids[row], item)?;
    }
    let items = Items {
        rows: items.align(&ratings.item_ids, &ratings.item, &rfile, &mfile.path)?,
        genres: ML1M_GENRES.iter().map(|s| s.to_string()).collect(),
    };
    Ok(finish(DatasetId::Ml1m, ratings, users, items))
}

/// Loads a generic `ratings.csv` (header `userId,movieId,rating[,timestamp]`).
pub(crate) fn load_csv(path: &Path) -> Result<Dataset, DataError> {
    let file = read_text(path, Encoding::Utf8, Missing::Plain)?;
    let header = file.text.lines().next().unwrap_or("");
    let header = header.trim_start_matches('\u{feff}').trim_end_matches('\r');
    let n_cols = match header {
        "userId,movieId,rating" => 3,
        "userId,movieId,rating,timestamp" => 4,
        _ => {
            return Err(DataError::BadValue {
                path: file.path.clone(),
                line: 1,
                field: "header".into(),
                value: header.to_string(),
                reason: "expected `userId,movieId,rating` or `userId,movieId,rating,timestamp`"
                    .into(),
            });
        }
    };
    if file.data_lines(1).next().is_none() {
        return Err(DataError::Empty {
            path: file.path.clone(),
        });
    }
    let raw = read_ratings(&file, Sep::Byte(b','), n_cols, 1)?;
    let ratings = index_ratings(raw, CSV_SCALE, &file, 1)?;
    Ok(finish(
        DatasetId::Csv(path.to_path_buf()),
        ratings,
        Users::default(),
        Items::default(),
    ))
}

fn finish(id: DatasetId, ratings: Ratings, users: Users, items: Items) -> Dataset {
    let features = demographic_features(&users);
    tracing::debug!(
        dataset = %id,
        ratings = ratings.len(),
        users = ratings.n_users(),
        items = ratings.n_items(),
        feature_width = features.width,
        "loaded data set"
    );
    Dataset {
        id,
        ratings,
        users,
        items,
        features,
    }
}
