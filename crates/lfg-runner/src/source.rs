//! Locating keys of a TOML document: byte offset -> line:column, key path <-> span.
//!
//! Serde errors from the `toml` crate carry a byte span but no key; validation errors know
//! their key path but not where it is. This module bridges both through the spanned parse
//! tree of `toml::de::DeTable`.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::error::Diagnostic;

/// One step of a key path: a table key or an array index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seg {
    /// A table key.
    Key(String),
    /// An array element.
    Index(usize),
}

impl From<&str> for Seg {
    fn from(s: &str) -> Self {
        Seg::Key(s.to_owned())
    }
}

impl From<String> for Seg {
    fn from(s: String) -> Self {
        Seg::Key(s)
    }
}

impl From<usize> for Seg {
    fn from(i: usize) -> Self {
        Seg::Index(i)
    }
}

/// A dotted key path such as `setting[1].model[0].factors`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyPath(pub Vec<Seg>);

impl KeyPath {
    /// The empty (document root) path.
    pub fn root() -> Self {
        Self(Vec::new())
    }

    /// This path extended by one step.
    pub fn join(&self, seg: impl Into<Seg>) -> Self {
        let mut v = self.0.clone();
        v.push(seg.into());
        Self(v)
    }
}

impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.0.iter().enumerate() {
            match s {
                Seg::Key(k) => {
                    if i > 0 {
                        write!(f, ".")?;
                    }
                    write!(f, "{k}")?;
                }
                Seg::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// An experiment file's text with helpers to turn spans and key paths into [`Diagnostic`]s.
pub struct Source<'a> {
    file: PathBuf,
    text: &'a str,
    tree: Option<Spanned<DeTable<'a>>>,
}

impl<'a> Source<'a> {
    /// Wraps `text` read from `file` (the parse tree is built when the text is valid TOML).
    pub fn new(file: &Path, text: &'a str) -> Self {
        Self {
            file: file.to_path_buf(),
            text,
            tree: DeTable::parse(text).ok(),
        }
    }

    /// 1-based line and column (in characters) of byte `offset`.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        line_col(self.text, offset)
    }

    /// A diagnostic at a byte span; the key path is looked up from the span.
    pub fn at_span(&self, span: Option<Range<usize>>, message: impl Into<String>) -> Diagnostic {
        let (line, column) = span
            .as_ref()
            .map(|s| self.line_col(s.start))
            .unwrap_or((0, 0));
        let key = span
            .as_ref()
            .and_then(|s| self.path_at(s))
            .map(|p| p.to_string())
            .filter(|s| !s.is_empty());
        Diagnostic {
            file: self.file.clone(),
            line,
            column,
            key,
            message: message.into(),
        }
    }

    /// A diagnostic about the key at `path` (located at the deepest part of the path that
    /// exists in the file).
    pub fn at_path(&self, path: &KeyPath, message: impl Into<String>) -> Diagnostic {
        let (line, column) = self
            .span_of(path)
            .map(|s| self.line_col(s.start))
            .unwrap_or((0, 0));
        let key = path.to_string();
        Diagnostic {
            file: self.file.clone(),
            line,
            column,
            key: (!key.is_empty()).then_some(key),
            message: message.into(),
        }
    }

    /// The span of the deepest existing prefix of `path` (a key's span for table entries, the
    /// element's span for array entries).
    pub fn span_of(&self, path: &KeyPath) -> Option<Range<usize>> {
        let tree = self.tree.as_ref()?;
        let mut table: Option<&DeTable<'_>> = Some(tree.get_ref());
        let mut value: Option<&DeValue<'_>> = None;
        let mut best: Option<Range<usize>> = None;
        for seg in &path.0 {
            match seg {
                Seg::Key(k) => {
                    let t = match (table, value) {
                        (Some(t), _) => t,
                        (None, Some(DeValue::Table(t))) => t,
                        _ => break,
                    };
                    let Some((key, v)) = t.iter().find(|(key, _)| key.get_ref() == k) else {
                        break;
                    };
                    best = Some(key.span());
                    table = None;
                    value = Some(v.get_ref());
                }
                Seg::Index(i) => {
                    let Some(DeValue::Array(a)) = value else {
                        break;
                    };
                    let Some(elem) = a.get(*i) else { break };
                    // Array-of-tables elements span their header; inline elements span the value.
                    best = Some(elem.span());
                    table = None;
                    value = Some(elem.get_ref());
                }
            }
        }
        best
    }

    /// The key path whose key or value span most tightly contains `span`.
    pub fn path_at(&self, span: &Range<usize>) -> Option<KeyPath> {
        let tree = self.tree.as_ref()?;
        let mut best: Option<(usize, Vec<Seg>)> = None;
        let mut path = Vec::new();
        walk_table(tree.get_ref(), span, &mut path, &mut best);
        best.map(|(_, p)| KeyPath(p))
    }
}

fn contains(outer: &Range<usize>, inner: &Range<usize>) -> bool {
    outer.start <= inner.start && inner.end <= outer.end.max(outer.start + 1)
}

fn consider(best: &mut Option<(usize, Vec<Seg>)>, width: usize, path: &[Seg]) {
    if best.as_ref().is_none_or(|(w, _)| width <= *w) {
        *best = Some((width, path.to_vec()));
    }
}

fn walk_table(
    t: &DeTable<'_>,
    target: &Range<usize>,
    path: &mut Vec<Seg>,
    best: &mut Option<(usize, Vec<Seg>)>,
) {
    for (k, v) in t.iter() {
        path.push(Seg::Key(k.get_ref().to_string()));
        let (ks, vs) = (k.span(), v.span());
        if contains(&ks, target) {
            consider(best, ks.len(), path);
        }
        if contains(&vs, target) {
            consider(best, vs.len(), path);
        }
        walk_value(v.get_ref(), target, path, best);
        path.pop();
    }
}

fn walk_value(
    v: &DeValue<'_>,
    target: &Range<usize>,
    path: &mut Vec<Seg>,
    best: &mut Option<(usize, Vec<Seg>)>,
) {
    match v {
        DeValue::Table(t) => walk_table(t, target, path, best),
        DeValue::Array(a) => {
            for (i, e) in a.iter().enumerate() {
                path.push(Seg::Index(i));
                let es = e.span();
                if contains(&es, target) {
                    consider(best, es.len(), path);
                }
                walk_value(e.get_ref(), target, path, best);
                path.pop();
            }
        }
        _ => {}
    }
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |p| p + 1);
    let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "[experiment]\nname = \"x\"\n\n[[setting]]\nname = \"a\"\n[[setting.model]]\nmodel = \"svd\"\nfactors = 5\n\n[[setting]]\nname = \"b\"\nmetrics = [\"rmse\", \"mae\"]\n";

    #[test]
    fn line_col_counts_lines_and_chars() {
        assert_eq!(line_col("ab\ncé\nx", 0), (1, 1));
        assert_eq!(line_col("ab\ncé\nx", 3), (2, 1));
        // 'é' is two bytes: offset 6 is after it, column 3.
        assert_eq!(line_col("ab\ncé\nx", 6), (2, 3));
        assert_eq!(line_col("ab\ncé\nx", 7), (3, 1));
    }

    #[test]
    fn span_of_path_finds_nested_keys() {
        let src = Source::new(Path::new("f.toml"), DOC);
        let p = KeyPath::root()
            .join("setting")
            .join(0usize)
            .join("model")
            .join(0usize)
            .join("factors");
        let span = src.span_of(&p).expect("span");
        assert_eq!(src.line_col(span.start), (8, 1));
        let m = KeyPath::root()
            .join("setting")
            .join(1usize)
            .join("metrics")
            .join(1usize);
        let (line, _) = src.line_col(src.span_of(&m).expect("span").start);
        assert_eq!(line, 12);
        // A missing key falls back to its deepest existing parent.
        let missing = KeyPath::root().join("setting").join(1usize).join("nothing");
        assert!(src.span_of(&missing).is_some());
    }

    #[test]
    fn path_at_span_names_the_key() {
        let src = Source::new(Path::new("f.toml"), DOC);
        let off = DOC.find("factors").expect("present");
        let p = src.path_at(&(off..off + 7)).expect("path");
        assert_eq!(p.to_string(), "setting[0].model[0].factors");
        let off = DOC.find("\"mae\"").expect("present");
        let p = src.path_at(&(off..off + 5)).expect("path");
        assert_eq!(p.to_string(), "setting[1].metrics[1]");
    }
}
