//! End-to-end tests of the `lfg` binary on small synthetic data sets written by the tests.
//!
//! Every test works in its own temporary folder (experiment file, `ratings.csv`, store), so
//! tests run in parallel and leave nothing behind.

mod common;
mod errors;
mod json;
mod locked;
mod resume;
mod run;
