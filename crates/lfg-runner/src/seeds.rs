//! Seed derivation. Every seed is a pure function of the experiment file, so results do not
//! depend on scheduling or on which other settings/models the file holds:
//! `derive_seed(setting_seed, &[key(setting), trial, fold])`, where keys are stable hashes of
//! names (adding or reordering rows does not change the others' seeds).

use lfg_core::derive_seed;
use sha2::{Digest, Sha256};

use crate::spec::SettingSpec;

const TAG_SPLIT: u64 = 0x0053_504c_4954; // "SPLIT"
const TAG_INNER: u64 = 0x0049_4e4e_4552; // "INNER"
const TAG_SWEEP: u64 = 0x0053_5745_4550; // "SWEEP"

/// A stable 64-bit key of a name (first 8 bytes of its SHA-256).
pub fn name_key(name: &str) -> u64 {
    let d = Sha256::digest(name.as_bytes());
    let mut b = [0u8; 8];
    b.copy_from_slice(&d[..8]);
    u64::from_le_bytes(b)
}

/// Seed of a setting's fold split (shared by all its models and reveal counts).
pub fn split_seed(s: &SettingSpec) -> u64 {
    derive_seed(s.seed, &[name_key(&s.name), TAG_SPLIT])
}

/// Seed of the inner validation split of fold `fold`'s training rows (shared by all
/// candidates and models, so they are compared on the same ratings).
pub fn inner_seed(s: &SettingSpec, fold: usize) -> u64 {
    derive_seed(s.seed, &[name_key(&s.name), TAG_INNER, fold as u64])
}

/// Default seed of a model's random search.
pub fn sweep_seed(s: &SettingSpec, model: &str) -> u64 {
    derive_seed(s.seed, &[name_key(&s.name), name_key(model), TAG_SWEEP])
}

/// Trial key of a model row (`candidate`: a sweep candidate's index, `None`: the final trial).
pub fn trial_key(model: &str, candidate: Option<usize>) -> u64 {
    match candidate {
        None => name_key(model),
        Some(c) => derive_seed(name_key(model), &[TAG_SWEEP, c as u64]),
    }
}

/// Training seed of one (setting, trial, fold) job.
pub fn job_seed(s: &SettingSpec, trial: u64, fold: usize) -> u64 {
    derive_seed(s.seed, &[name_key(&s.name), trial, fold as u64])
}
