//! Reading delimited text files into Polars data frames, with line-accurate errors.
//!
//! Polars parses the tables (fast, multi-threaded). Its CSV reader takes a one-byte separator
//! and UTF-8 input only, so text is first decoded (Latin-1 through `encoding_rs`) and `::`
//! separators are converted to a one-byte separator. When Polars rejects a file, or the frame
//! it returns has holes, a simple line checker re-reads the text to name the first bad line:
//! errors are rare, so the slow path costs nothing in the common case.

use std::borrow::Cow;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use polars::prelude::*;

use crate::error::DataError;

/// How fields are separated on a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Sep {
    /// A single byte (`\t`, `|`, `,`).
    Byte(u8),
    /// The two-byte `::` of the ML-1M `.dat` files.
    DoubleColon,
}

impl Sep {
    fn as_str(self) -> &'static str {
        match self {
            Sep::Byte(b'\t') => "\t",
            Sep::Byte(b'|') => "|",
            Sep::Byte(b',') => ",",
            Sep::Byte(b':') => ":",
            Sep::Byte(_) => "?",
            Sep::DoubleColon => "::",
        }
    }

    fn split(self, line: &str) -> std::str::Split<'_, &'static str> {
        line.split(self.as_str())
    }
}

/// The one-byte separator `::` is converted to before Polars reads a `.dat` file (the ASCII
/// unit separator, which never occurs in MovieLens text).
const UNIT_SEP: u8 = 0x1f;

/// The type of one column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Int,
    Float,
    Str,
}

/// One expected column.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Col {
    pub name: &'static str,
    pub kind: Kind,
}

pub(crate) const fn col(name: &'static str, kind: Kind) -> Col {
    Col { name, kind }
}

/// Text encoding of a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Encoding {
    /// Strict UTF-8 (plain ASCII for MovieLens rating files).
    Utf8,
    /// ISO-8859-1 (MovieLens titles). A file that is valid UTF-8 and has non-ASCII bytes is
    /// taken as UTF-8 instead: some redistributed copies were re-encoded, and real Latin-1
    /// text almost never forms valid multi-byte UTF-8 sequences.
    Latin1,
}

/// A decoded text file.
#[derive(Debug)]
pub(crate) struct TextFile {
    pub path: PathBuf,
    pub text: String,
}

/// What to print when a file is missing.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Missing<'a> {
    /// A MovieLens data set that `lfg data fetch <name>` can download.
    Fetchable(&'a str),
    /// A user-supplied file.
    Plain,
}

/// 1-based line number of byte offset `pos` in `bytes`.
fn line_at(bytes: &[u8], pos: usize) -> usize {
    bytes[..pos.min(bytes.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Reads and decodes a file; rejects missing, empty and badly encoded files.
pub(crate) fn read_text(
    path: &Path,
    encoding: Encoding,
    missing: Missing<'_>,
) -> Result<TextFile, DataError> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let hint = match missing {
                Missing::Fetchable(name) => crate::error::fetch_hint(name, path),
                Missing::Plain => "Check the path.".to_string(),
            };
            return Err(DataError::MissingFile {
                path: path.to_path_buf(),
                hint,
            });
        }
        Err(e) => return Err(DataError::io(path, e)),
    };
    decode(path, bytes, encoding)
}

/// Decodes raw bytes (see [`read_text`]).
pub(crate) fn decode(
    path: &Path,
    bytes: Vec<u8>,
    encoding: Encoding,
) -> Result<TextFile, DataError> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(DataError::Empty {
            path: path.to_path_buf(),
        });
    }
    // `contains` is memchr-fast; find the position only on the error path.
    if bytes.contains(&0) {
        let pos = bytes.iter().position(|&b| b == 0).unwrap_or(0);
        return Err(DataError::BadEncoding {
            path: path.to_path_buf(),
            line: line_at(&bytes, pos),
            detail: "NUL byte: this is a binary file, not text".to_string(),
        });
    }
    let text = match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => match encoding {
            Encoding::Utf8 => {
                let pos = e.utf8_error().valid_up_to();
                let bytes = e.into_bytes();
                return Err(DataError::BadEncoding {
                    path: path.to_path_buf(),
                    line: line_at(&bytes, pos),
                    detail: format!(
                        "byte 0x{:02X} is not valid UTF-8 (this file must be ASCII/UTF-8)",
                        bytes[pos]
                    ),
                });
            }
            Encoding::Latin1 => {
                let bytes = e.into_bytes();
                match encoding_rs::mem::decode_latin1(&bytes) {
                    Cow::Borrowed(s) => s.to_string(),
                    Cow::Owned(s) => s,
                }
            }
        },
    };
    Ok(TextFile {
        path: path.to_path_buf(),
        text,
    })
}

impl TextFile {
    /// Data lines: `(1-based line number, line)` for every non-blank line after `header` lines.
    pub(crate) fn data_lines(&self, header: usize) -> impl Iterator<Item = (usize, &str)> {
        self.text
            .lines()
            .enumerate()
            .skip(header)
            .map(|(i, l)| (i + 1, l))
            .filter(|(_, l)| !l.is_empty())
    }

    /// The 1-based line of data row `row` (rows count non-blank lines after the header).
    pub(crate) fn line_of_row(&self, row: usize, header: usize) -> usize {
        self.data_lines(header)
            .nth(row)
            .map(|(n, _)| n)
            .unwrap_or(0)
    }

    /// Number of fields on the first data line.
    pub(crate) fn first_field_count(&self, sep: Sep, header: usize) -> Option<usize> {
        self.data_lines(header)
            .next()
            .map(|(_, l)| sep.split(l).count())
    }

    /// Checks every data line: field count and numeric fields. Returns the first problem.
    pub(crate) fn check_lines(&self, sep: Sep, cols: &[Col], header: usize) -> Option<DataError> {
        let expected = cols.len();
        for (line, text) in self.data_lines(header) {
            let mut n = 0;
            for (i, field) in sep.split(text).enumerate() {
                n += 1;
                if i >= expected {
                    continue;
                }
                let c = cols[i];
                let ok = match c.kind {
                    Kind::Int => field.parse::<i64>().is_ok(),
                    Kind::Float => field.parse::<f64>().is_ok(),
                    Kind::Str => true,
                };
                if !ok {
                    // Report a short field count before a parse error caused by it.
                    let count = sep.split(text).count();
                    if count != expected {
                        return Some(self.field_count(line, expected.to_string(), sep, count));
                    }
                    return Some(DataError::NotNumeric {
                        path: self.path.clone(),
                        line,
                        field: c.name.to_string(),
                        kind: if c.kind == Kind::Int {
                            "integer"
                        } else {
                            "number"
                        },
                        value: field.to_string(),
                    });
                }
            }
            if n != expected {
                return Some(self.field_count(line, expected.to_string(), sep, n));
            }
        }
        None
    }

    pub(crate) fn field_count(
        &self,
        line: usize,
        expected: String,
        sep: Sep,
        found: usize,
    ) -> DataError {
        DataError::FieldCount {
            path: self.path.clone(),
            line,
            expected,
            sep: sep.as_str().to_string(),
            found,
        }
    }

    /// Parses the data lines with Polars into a frame with `cols` (names and types).
    ///
    /// `prescan` runs the line checker first (cheap for the small side files, and the only way
    /// to catch a short line whose missing fields are strings).
    pub(crate) fn to_frame(
        &self,
        sep: Sep,
        cols: &[Col],
        header: usize,
        prescan: bool,
    ) -> Result<DataFrame, DataError> {
        if prescan && let Some(e) = self.check_lines(sep, cols, header) {
            return Err(e);
        }
        // Skip the header lines ourselves: Polars then sees data only.
        let mut body = self.text.as_str();
        for _ in 0..header {
            body = body.split_once('\n').map(|(_, rest)| rest).unwrap_or("");
        }
        let (bytes, sep_byte): (Cow<'_, [u8]>, u8) = match sep {
            Sep::Byte(b) => (Cow::Borrowed(body.as_bytes()), b),
            Sep::DoubleColon => {
                if body.as_bytes().contains(&UNIT_SEP) {
                    return Err(self.check_lines(sep, cols, header).unwrap_or_else(|| {
                        DataError::BadEncoding {
                            path: self.path.clone(),
                            line: line_at(
                                self.text.as_bytes(),
                                self.text.find('\x1f').unwrap_or(0),
                            ),
                            detail: "control character 0x1F in a `::` file".to_string(),
                        }
                    }));
                }
                (
                    Cow::Owned(body.replace("::", "\x1f").into_bytes()),
                    UNIT_SEP,
                )
            }
        };
        let schema: Schema = cols
            .iter()
            .map(|c| {
                let dt = match c.kind {
                    Kind::Int => DataType::Int64,
                    Kind::Float => DataType::Float32,
                    Kind::Str => DataType::String,
                };
                (PlSmallStr::from_static(c.name), dt)
            })
            .collect();
        let result = CsvReadOptions::default()
            .with_has_header(false)
            .with_schema(Some(Arc::new(schema)))
            .with_raise_if_empty(false)
            .with_rechunk(true)
            .with_parse_options(
                CsvParseOptions::default()
                    .with_separator(sep_byte)
                    .with_quote_char(None)
                    .with_missing_is_null(true),
            )
            .into_reader_with_file_handle(Cursor::new(bytes.as_ref()))
            .finish();
        let df = match result {
            Ok(df) => df,
            Err(source) => {
                return Err(self.check_lines(sep, cols, header).unwrap_or_else(|| {
                    DataError::Polars {
                        path: self.path.clone(),
                        source,
                    }
                }));
            }
        };
        // Holes in numeric columns come from short lines or empty fields.
        let holes = cols.iter().filter(|c| c.kind != Kind::Str).any(|c| {
            df.column(c.name)
                .map(|s| s.null_count() > 0)
                .unwrap_or(true)
        });
        if holes {
            return Err(self
                .check_lines(sep, cols, header)
                .unwrap_or_else(|| DataError::Polars {
                    path: self.path.clone(),
                    source: polars::error::PolarsError::ComputeError(
                        "missing values in a numeric column".into(),
                    ),
                }));
        }
        if df.height() == 0 {
            return Err(DataError::Empty {
                path: self.path.clone(),
            });
        }
        Ok(df)
    }

    pub(crate) fn polars_err(&self, source: PolarsError) -> DataError {
        DataError::Polars {
            path: self.path.clone(),
            source,
        }
    }

    /// An `i64` column as a vector (the frame has no nulls there, see [`Self::to_frame`]).
    pub(crate) fn ints(&self, df: &DataFrame, name: &str) -> Result<Vec<i64>, DataError> {
        let s = df.column(name).map_err(|e| self.polars_err(e))?;
        let ca = s.i64().map_err(|e| self.polars_err(e))?;
        Ok(ca.iter().map(|v| v.unwrap_or(0)).collect())
    }

    /// An `f32` column as a vector.
    pub(crate) fn floats(&self, df: &DataFrame, name: &str) -> Result<Vec<f32>, DataError> {
        let s = df.column(name).map_err(|e| self.polars_err(e))?;
        let ca = s.f32().map_err(|e| self.polars_err(e))?;
        Ok(ca.iter().map(|v| v.unwrap_or(f32::NAN)).collect())
    }

    /// A string column as a vector (nulls, i.e. empty fields, become empty strings).
    pub(crate) fn strings(&self, df: &DataFrame, name: &str) -> Result<Vec<String>, DataError> {
        let s = df.column(name).map_err(|e| self.polars_err(e))?;
        let ca = s.str().map_err(|e| self.polars_err(e))?;
        Ok(ca.iter().map(|v| v.unwrap_or("").to_string()).collect())
    }
}
