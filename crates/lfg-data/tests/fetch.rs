//! `fetch` against a tiny HTTP server on 127.0.0.1 serving a fixture zip built here.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::thread::JoinHandle;

use lfg_data::fetch::{FetchOptions, fetch};
use lfg_data::{DataError, DatasetId, load};
use sha2::{Digest, Sha256};

enum Reply {
    Full,
    /// Announce the full length, send only this many bytes, then close.
    Truncated(usize),
    Status(u16),
}

/// Serves one HTTP request on a loopback port; returns the URL and the server thread.
fn serve(body: Vec<u8>, reply: Reply) -> (String, JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/ml-100k.zip", listener.local_addr().unwrap());
    let h = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let mut req = Vec::new();
        let mut buf = [0u8; 1024];
        while !req.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = s.read(&mut buf).unwrap();
            if n == 0 {
                return;
            }
            req.extend_from_slice(&buf[..n]);
        }
        assert!(req.starts_with(b"GET /ml-100k.zip "));
        let (status, sent) = match reply {
            Reply::Full => ("200 OK".to_string(), body.len()),
            Reply::Truncated(n) => ("200 OK".to_string(), n),
            Reply::Status(c) => (format!("{c} Nope"), 0),
        };
        let len = if matches!(reply, Reply::Status(_)) {
            0
        } else {
            body.len()
        };
        let head = format!(
            "HTTP/1.1 {status}\r\nContent-Type: application/zip\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n"
        );
        let _ = s.write_all(head.as_bytes());
        let _ = s.write_all(&body[..sent]);
        let _ = s.flush();
    });
    (url, h)
}

/// A zip shaped like GroupLens' `ml-100k.zip` (`ml-100k/...`), holding a valid mini data set.
fn fixture_zip() -> Vec<u8> {
    let src = tempfile::tempdir().unwrap();
    common::write_ml100k(src.path(), common::U_DATA.as_bytes());
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default();
    w.add_directory("ml-100k/", opts).unwrap();
    let mut names: Vec<_> = std::fs::read_dir(src.path().join("ml-100k"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    for n in names {
        w.start_file(format!("ml-100k/{n}"), opts).unwrap();
        w.write_all(&std::fs::read(src.path().join("ml-100k").join(&n)).unwrap())
            .unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn sha(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

fn opts(url: String, sha256: String) -> FetchOptions {
    FetchOptions {
        url: Some(url),
        sha256: Some(sha256),
        progress: false,
    }
}

/// Names in `dir` (to check nothing half-extracted is left behind).
fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    v.sort();
    v
}

#[test]
fn good_download_extracts_and_loads() {
    let zip = fixture_zip();
    let (url, h) = serve(zip.clone(), Reply::Full);
    let data = tempfile::tempdir().unwrap();
    let out = fetch("ml-100k", data.path(), &opts(url, sha(&zip))).unwrap();
    h.join().unwrap();
    assert_eq!(out, data.path().join("ml-100k"));
    assert_eq!(
        entries(data.path()),
        vec!["ml-100k"],
        "no temporary folder left"
    );
    let d = load(&DatasetId::Ml100k, data.path()).unwrap();
    assert_eq!(d.ratings.len(), 8);

    // fetching again replaces the folder atomically
    std::fs::write(out.join("stale.txt"), "x").unwrap();
    let (url, h) = serve(zip.clone(), Reply::Full);
    fetch("ml-100k", data.path(), &opts(url, sha(&zip).to_uppercase())).unwrap();
    h.join().unwrap();
    assert!(!out.join("stale.txt").exists());
    assert_eq!(entries(data.path()), vec!["ml-100k"]);
}

#[test]
fn truncated_download_is_a_typed_error_and_leaves_nothing() {
    let zip = fixture_zip();
    let (url, h) = serve(zip.clone(), Reply::Truncated(zip.len() / 2));
    let data = tempfile::tempdir().unwrap();
    let e = fetch("ml-100k", data.path(), &opts(url, sha(&zip))).unwrap_err();
    h.join().unwrap();
    assert!(
        matches!(e, DataError::Truncated { expected, got, .. } if expected == zip.len() as u64 && got < expected),
        "{e}"
    );
    assert!(
        entries(data.path()).is_empty(),
        "{:?}",
        entries(data.path())
    );
}

#[test]
fn wrong_checksum_is_a_typed_error_and_keeps_old_data() {
    let zip = fixture_zip();
    let (url, h) = serve(zip.clone(), Reply::Full);
    let data = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(data.path().join("ml-100k")).unwrap();
    std::fs::write(data.path().join("ml-100k/u.data"), "old").unwrap();
    let wrong = "0".repeat(64);
    let e = fetch("ml-100k", data.path(), &opts(url, wrong.clone())).unwrap_err();
    h.join().unwrap();
    match &e {
        DataError::Checksum {
            expected, actual, ..
        } => {
            assert_eq!(expected, &wrong);
            assert_eq!(actual, &sha(&zip));
        }
        other => panic!("{other}"),
    }
    assert_eq!(entries(data.path()), vec!["ml-100k"]);
    assert_eq!(
        std::fs::read_to_string(data.path().join("ml-100k/u.data")).unwrap(),
        "old"
    );
}

#[test]
fn http_error_and_bad_archive_and_unknown_name() {
    let data = tempfile::tempdir().unwrap();
    let (url, h) = serve(Vec::new(), Reply::Status(404));
    let e = fetch("ml-100k", data.path(), &opts(url, sha(b""))).unwrap_err();
    h.join().unwrap();
    assert!(matches!(e, DataError::Download { .. }), "{e}");
    assert!(e.to_string().contains("404"), "{e}");

    let junk = b"this is not a zip".to_vec();
    let (url, h) = serve(junk.clone(), Reply::Full);
    let e = fetch("ml-100k", data.path(), &opts(url, sha(&junk))).unwrap_err();
    h.join().unwrap();
    assert!(matches!(e, DataError::Archive { .. }), "{e}");
    assert!(entries(data.path()).is_empty());

    let e = fetch("ml-10m", data.path(), &FetchOptions::default()).unwrap_err();
    assert!(matches!(e, DataError::InvalidArgument { .. }), "{e}");
}
