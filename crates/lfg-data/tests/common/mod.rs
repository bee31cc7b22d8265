//! Small synthetic MovieLens-shaped fixtures, written by the tests themselves.
#![allow(dead_code)]

use std::path::Path;

pub const OCCUPATIONS: &str = "engineer\nother\nstudent\n";

pub fn genres() -> String {
    // ML-100k lists "unknown" and then the 18 genres of ML-1M, in the same order.
    let names = std::iter::once("unknown").chain(lfg_data::movielens::ML1M_GENRES);
    let mut s: String = names
        .enumerate()
        .map(|(i, n)| format!("{n}|{i}\n"))
        .collect();
    s.push('\n'); // the real file ends with a blank line
    s
}

/// 19 genre flags with the given genres set.
fn flags(set: &[usize]) -> String {
    (0..19)
        .map(|g| if set.contains(&g) { "1" } else { "0" })
        .collect::<Vec<_>>()
        .join("|")
}

/// `u.item` bytes: item 20 has a Latin-1 title ("Café"), item 5 an empty release date.
pub fn u_item() -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(format!("5|unknown||| http://x|{}\n", flags(&[0])).as_bytes());
    b.extend_from_slice(b"10|Toy Story (1995)|01-Jan-1995||http://x?Toy%20Story|");
    b.extend_from_slice(flags(&[3, 4, 5]).as_bytes());
    b.push(b'\n');
    b.extend_from_slice(b"20|Caf\xe9 \"Noir\" (1996)|01-Jan-1996||http://x|");
    b.extend_from_slice(flags(&[8]).as_bytes());
    b.push(b'\n');
    b.extend_from_slice(b"30|Unrated Movie (1997)|01-Jan-1997||http://x|");
    b.extend_from_slice(flags(&[1]).as_bytes());
    b.push(b'\n');
    b
}

pub const U_USER: &str = "1|24|M|engineer|85711\n2|53|F|other|94043\n3|17|M|student|T8H1N\n";

/// `u.data`: 8 ratings of users 1..3 on items 5, 10, 20 (item 30 is never rated).
pub const U_DATA: &str = "\
3\t10\t4\t881250949
1\t10\t5\t881250950
1\t20\t3\t881250951
2\t5\t1\t881250952
2\t10\t2\t881250953
3\t20\t5\t881250954
1\t5\t4\t881250955
2\t20\t3\t881250956
";

/// Writes a complete, valid ML-100k fixture into `<dir>/ml-100k/`, with `u_data` as u.data.
pub fn write_ml100k(dir: &Path, u_data: &[u8]) {
    let d = dir.join("ml-100k");
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join("u.data"), u_data).unwrap();
    std::fs::write(d.join("u.user"), U_USER).unwrap();
    std::fs::write(d.join("u.item"), u_item()).unwrap();
    std::fs::write(d.join("u.occupation"), OCCUPATIONS).unwrap();
    std::fs::write(d.join("u.genre"), genres()).unwrap();
}

pub const USERS_DAT: &str = "1::F::1::10::48067\n2::M::56::16::70072\n3::M::25::15::55117\n";

/// `movies.dat` with a Latin-1 title containing ':'.
pub fn movies_dat() -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(b"1::Toy Story (1995)::Animation|Children's|Comedy\n");
    b.extend_from_slice(b"2::Star Wars: Episode IV - A New Hope (1977)::Action|Sci-Fi\n");
    b.extend_from_slice(b"3::Cit\xe9 des enfants perdus, La (1995)::Drama\n");
    b.extend_from_slice(b"4::Never Rated (2000)::War\n");
    b
}

pub const RATINGS_DAT_3: &str = "1::1::5\n1::2::3\n2::1::4\n2::3::1\n3::2::2\n3::3::5\n";
pub const RATINGS_DAT_4: &str = "1::1::5::978300760\n1::2::3::978302109\n2::1::4::978301968\n2::3::1::978300275\n3::2::2::978824291\n3::3::5::978302268\n";

pub fn write_ml1m(dir: &Path, ratings: &[u8]) {
    let d = dir.join("ml-1m");
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join("ratings.dat"), ratings).unwrap();
    std::fs::write(d.join("users.dat"), USERS_DAT).unwrap();
    std::fs::write(d.join("movies.dat"), movies_dat()).unwrap();
}
