//! One cross-validation fold.

use serde::{Deserialize, Serialize};

/// One train/test split of a [`crate::Ratings`] table, as row indices into it.
///
/// For the per-user and random protocols `revealed` and `new_users` are empty. For the
/// new-user protocol, `new_users` lists the users held out of training, `revealed` their
/// ratings a model may read at inference time (never fit on, except by the `retrain`
/// strategy), and `test` their hidden ratings that are evaluated.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fold {
    /// Fold number, from 0.
    pub index: usize,
    /// Rows used for training.
    pub train: Vec<u32>,
    /// Rows evaluated.
    pub test: Vec<u32>,
    /// Rows of new users revealed to the model as input (new-user protocol only).
    pub revealed: Vec<u32>,
    /// Users absent from training (new-user protocol only), sorted.
    pub new_users: Vec<u32>,
}

impl Fold {
    /// Whether this fold follows the new-user protocol.
    pub fn is_new_user(&self) -> bool {
        !self.new_users.is_empty()
    }
}
