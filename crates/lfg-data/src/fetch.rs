//! Downloading the official GroupLens MovieLens archives.
//!
//! [`fetch`] downloads `<name>.zip` over HTTPS (ureq), shows a progress bar on a terminal
//! (indicatif), checks the archive's pinned SHA-256, and extracts it atomically: everything
//! happens in a temporary folder inside the data directory, and only a complete, verified
//! extraction is renamed to `<data_dir>/<name>/`. A failed fetch leaves nothing behind (the
//! temporary folder is removed), and an existing `<data_dir>/<name>/` is replaced only after
//! the new copy is complete.

use std::fs::File;
use std::io::{BufWriter, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use sha2::{Digest, Sha256};

use crate::error::DataError;

/// Official URL of the ML-100k archive.
pub const ML_100K_URL: &str = "https://files.grouplens.org/datasets/movielens/ml-100k.zip";
/// Pinned SHA-256 of `ml-100k.zip` (4,924,029 bytes). This value is the one published by
/// several independent projects pinning the GroupLens file (e.g. scikit-learn-style fetchers);
/// it could not be re-computed here (no network access when this was written).
pub const ML_100K_SHA256: &str = "50d2a982c66986937beb9ffb3aa76efe955bf3d5c6b761f4e3a7cd717c6a3229";
/// Official URL of the ML-1M archive.
pub const ML_1M_URL: &str = "https://files.grouplens.org/datasets/movielens/ml-1m.zip";
/// Pinned SHA-256 of `ml-1m.zip` (as published by several independent projects; the archive's
/// MD5 `c4d9eecfca2ab87c1945afe126590906` is GroupLens' own).
pub const ML_1M_SHA256: &str = "a6898adb50b9ca05aa231689da44c217cb524e7ebd39d264c56e2832f2c54e20";

/// Options of [`fetch`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FetchOptions {
    /// Download from this URL instead of the official one (tests, mirrors).
    pub url: Option<String>,
    /// Expect this SHA-256 (hex) instead of the pinned one.
    pub sha256: Option<String>,
    /// Show a progress bar (only drawn when stderr is a terminal).
    pub progress: bool,
}

impl Default for FetchOptions {
    /// Official URL, pinned checksum, progress bar on.
    fn default() -> Self {
        Self {
            url: None,
            sha256: None,
            progress: true,
        }
    }
}

/// What [`fetch`] knows about a data set.
struct Source {
    url: &'static str,
    sha256: &'static str,
    /// A file whose presence marks a complete extraction.
    key_file: &'static str,
}

fn source(name: &str) -> Result<Source, DataError> {
    match name {
        "ml-100k" => Ok(Source {
            url: ML_100K_URL,
            sha256: ML_100K_SHA256,
            key_file: "u.data",
        }),
        "ml-1m" => Ok(Source {
            url: ML_1M_URL,
            sha256: ML_1M_SHA256,
            key_file: "ratings.dat",
        }),
        other => Err(DataError::InvalidArgument {
            name: "dataset",
            reason: format!("cannot fetch {other:?}: expected ml-100k or ml-1m"),
        }),
    }
}

/// Downloads, verifies and extracts data set `name` (`ml-100k` or `ml-1m`) into
/// `<data_dir>/<name>/`, and returns that folder.
pub fn fetch(name: &str, data_dir: &Path, opts: &FetchOptions) -> Result<PathBuf, DataError> {
    let src = source(name)?;
    let url = opts.url.as_deref().unwrap_or(src.url);
    let expected = opts
        .sha256
        .as_deref()
        .unwrap_or(src.sha256)
        .to_ascii_lowercase();
    std::fs::create_dir_all(data_dir).map_err(|e| DataError::io(data_dir, e))?;
    // Everything happens inside this folder, removed on every exit path.
    let tmp = tempfile::Builder::new()
        .prefix(&format!(".fetch-{name}-"))
        .tempdir_in(data_dir)
        .map_err(|e| DataError::io(data_dir, e))?;
    let archive = tmp.path().join(format!("{name}.zip"));
    tracing::info!(url, dest = %data_dir.join(name).display(), "downloading {name}");
    let actual = download(url, &archive, opts.progress)?;
    if actual != expected {
        return Err(DataError::Checksum {
            url: url.to_string(),
            expected,
            actual,
        });
    }
    let extracted = tmp.path().join("extracted");
    extract(&archive, &extracted, url)?;
    // The archive holds `<name>/...`; accept a flat archive too.
    let root = if extracted.join(name).is_dir() {
        extracted.join(name)
    } else {
        extracted.clone()
    };
    if !root.join(src.key_file).is_file() {
        return Err(DataError::Archive {
            path: PathBuf::from(url),
            reason: format!("the archive has no {name}/{}", src.key_file),
        });
    }
    let dest = data_dir.join(name);
    if dest.exists() {
        let old = tmp.path().join("previous");
        std::fs::rename(&dest, &old).map_err(|e| DataError::io(&dest, e))?;
    }
    std::fs::rename(&root, &dest).map_err(|e| DataError::io(&dest, e))?;
    tracing::info!(dest = %dest.display(), "fetched {name}");
    Ok(dest)
}

/// Streams `url` into `path`, returning the SHA-256 (hex) of the bytes received.
fn download(url: &str, path: &Path, progress: bool) -> Result<String, DataError> {
    let fail = |reason: String| DataError::Download {
        url: url.to_string(),
        reason,
    };
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_connect(Some(Duration::from_secs(30)))
        .timeout_per_read(Some(Duration::from_secs(60)))
        .build()
        .into();
    let response = agent.get(url).call().map_err(|e| fail(e.to_string()))?;
    let length = response.body().content_length();
    let mut reader = response.into_body().into_reader();

    let target = if progress && std::io::stderr().is_terminal() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    let bar = ProgressBar::with_draw_target(length, target);
    bar.set_style(
        ProgressStyle::with_template(
            "{msg} [{bar:40}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar.set_message(url.rsplit('/').next().unwrap_or(url).to_string());

    let file = File::create(path).map_err(|e| DataError::io(path, e))?;
    let mut out = BufWriter::new(file);
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut got: u64 = 0;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                bar.abandon();
                return Err(match length {
                    Some(expected) if got < expected => DataError::Truncated {
                        url: url.to_string(),
                        expected,
                        got,
                    },
                    _ => fail(e.to_string()),
                });
            }
        };
        hasher.update(&buf[..n]);
        out.write_all(&buf[..n])
            .map_err(|e| DataError::io(path, e))?;
        got += n as u64;
        bar.inc(n as u64);
    }
    out.flush().map_err(|e| DataError::io(path, e))?;
    bar.finish();
    if let Some(expected) = length
        && got != expected
    {
        return Err(DataError::Truncated {
            url: url.to_string(),
            expected,
            got,
        });
    }
    Ok(hex::encode(hasher.finalize()))
}

/// Extracts the zip at `archive` into `dir` (zip-slip safe: the zip crate skips entries whose
/// names escape `dir`).
fn extract(archive: &Path, dir: &Path, url: &str) -> Result<(), DataError> {
    let bad = |e: zip::result::ZipError| DataError::Archive {
        path: PathBuf::from(url),
        reason: e.to_string(),
    };
    let file = File::open(archive).map_err(|e| DataError::io(archive, e))?;
    let mut zip = zip::ZipArchive::new(file).map_err(bad)?;
    std::fs::create_dir_all(dir).map_err(|e| DataError::io(dir, e))?;
    zip.extract(dir).map_err(bad)
}
