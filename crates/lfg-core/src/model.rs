//! Traits that tie models, the runner and evaluation together.
//!
//! Fitting follows linfa: a hyperparameter struct is checked, then fitted into a model that
//! implements [`Predictor`]. Each model crate defines its own `fit` with a typed error; these
//! traits are the common surface the runner uses afterwards.

use crate::FeatureMatrix;

/// A fitted model that scores known `(user, item)` pairs.
pub trait Predictor: Send + Sync {
    /// Predicted rating, clipped to the rating scale.
    fn predict(&self, user: u32, item: u32) -> f32;

    /// Predictions for many pairs; `out.len() == users.len() == items.len()`.
    fn predict_many(&self, users: &[u32], items: &[u32], out: &mut [f32]) {
        for ((o, &u), &i) in out.iter_mut().zip(users).zip(items) {
            *o = self.predict(u, i);
        }
    }

    /// Whether the model has learnt anything about `user` (false: it falls back to a default).
    fn knows_user(&self, user: u32) -> bool {
        let _ = user;
        true
    }
}

/// A fitted model that can serve a user it was not trained on, from that user's revealed
/// ratings (and side features), without refitting.
pub trait NewUserPredictor: Send + Sync {
    /// Scores `query_items` for a new user described by `revealed` `(item, rating)` pairs and
    /// `features` (the user's row of the [`FeatureMatrix`], possibly empty). Writes clipped
    /// predictions into `out` (same length as `query_items`).
    fn predict_new_user(
        &self,
        revealed: &[(u32, f32)],
        features: &[f32],
        query_items: &[u32],
        out: &mut [f32],
    );
}

/// What a model reports after each training epoch (learning curves).
#[derive(Clone, Debug, PartialEq)]
pub struct EpochReport {
    /// Epoch number, from 1.
    pub epoch: usize,
    /// Mean training loss of the epoch (MSE on training ratings for rating models).
    pub train_loss: f64,
    /// RMSE on the inner validation split, when one is used.
    pub valid_rmse: Option<f64>,
    /// Seconds spent in the epoch.
    pub seconds: f64,
}

/// Receives [`EpochReport`]s during training.
pub trait EpochObserver: Sync {
    /// Called once per epoch, in order.
    fn on_epoch(&self, report: &EpochReport);
}

/// An observer that ignores every report.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoObserver;

impl EpochObserver for NoObserver {
    fn on_epoch(&self, _report: &EpochReport) {}
}

impl<F: Fn(&EpochReport) + Sync> EpochObserver for F {
    fn on_epoch(&self, report: &EpochReport) {
        self(report)
    }
}

/// Side information handed to models that can use it.
pub type UserFeatures = FeatureMatrix;
