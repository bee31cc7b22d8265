//! Writing to stdout/stderr from the binary (no `println!`: a closed pipe is not a panic).

use std::io::Write;

/// Writes `text` to stdout (a broken pipe is ignored).
pub fn out(text: &str) {
    let mut o = std::io::stdout().lock();
    let _ = o.write_all(text.as_bytes());
    if !text.ends_with('\n') {
        let _ = o.write_all(b"\n");
    }
    let _ = o.flush();
}

/// Pretty JSON of `value` on stdout.
pub fn json<T: serde::Serialize>(value: &T) -> anyhow::Result<()> {
    out(&serde_json::to_string_pretty(value)?);
    Ok(())
}

/// A status line on stderr.
pub fn note(text: &str) {
    let mut e = std::io::stderr().lock();
    let _ = writeln!(e, "{text}");
}

/// An error and its causes on stderr.
pub fn error(e: &anyhow::Error) {
    let mut w = std::io::stderr().lock();
    let mut shown = e.to_string();
    let _ = writeln!(w, "error: {shown}");
    for cause in e.chain().skip(1) {
        let c = cause.to_string();
        // Typed errors often quote their source already: print each text once.
        if !shown.contains(&c) {
            let _ = writeln!(w, "  caused by: {c}");
            shown.push_str(&c);
        }
    }
}
