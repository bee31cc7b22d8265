//! A store locked by another process: a clear error, nothing half-written.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{Synthetic, Workspace, small_experiment};

/// Holds an exclusive write lock on `db` with the `sqlite3` shell until dropped.
struct Lock(std::process::Child);

impl Lock {
    fn hold(db: &std::path::Path) -> Option<Lock> {
        let mut child = match Command::new("sqlite3")
            .arg(db)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
        {
            Ok(c) => c,
            Err(e) => {
                assert!(
                    std::env::var("CI").as_deref() != Ok("true"),
                    "the sqlite3 shell is needed for this test on CI: {e}"
                );
                let _ = writeln!(std::io::stderr(), "skipping: no sqlite3 shell ({e})");
                return None;
            }
        };
        let stdin = child.stdin.as_mut().expect("stdin");
        stdin
            .write_all(b"BEGIN EXCLUSIVE;\nSELECT 'locked';\n")
            .expect("write to sqlite3");
        stdin.flush().expect("flush");
        let mut line = String::new();
        BufReader::new(child.stdout.as_mut().expect("stdout"))
            .read_line(&mut line)
            .expect("read sqlite3");
        assert_eq!(line.trim(), "locked");
        Some(Lock(child))
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        if let Some(mut stdin) = self.0.stdin.take() {
            let _ = stdin.write_all(b"ROLLBACK;\n.quit\n");
        }
        let _ = self.0.wait();
    }
}

#[test]
fn a_locked_store_is_reported_and_left_consistent() {
    let ws = Workspace::new(Synthetic::default());
    let f = ws.write("exp.toml", &small_experiment("locked", 2));
    // Create the database (migrations) first.
    ws.cmd(&["runs"]).assert().success();
    let Some(lock) = Lock::hold(&ws.path().join("lfg.sqlite")) else {
        return;
    };
    let t = Instant::now();
    let out = ws.output(&["run", &f, "--no-report", "--quiet", "--lock-timeout", "0.5"]);
    assert!(!out.status.success());
    assert!(t.elapsed() < Duration::from_secs(30));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("locked"), "{err}");
    drop(lock);

    // Nothing was half-written, and the store works once the lock is gone.
    assert_eq!(ws.json(&["runs", "--json"]), serde_json::json!([]));
    ws.cmd(&["run", &f, "--no-report", "--quiet"])
        .assert()
        .success();
    let runs = ws.json(&["runs", "--json"]);
    assert_eq!(runs.as_array().map(Vec::len), Some(1));
    assert_eq!(runs[0]["status"], "completed");
}
