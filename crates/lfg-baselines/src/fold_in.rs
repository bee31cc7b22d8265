//! New users: the paper's `no-retrain` protocol and closed-form `fold-in`.
//!
//! Fold-in keeps every trained item parameter fixed and fits only the new user's parameters
//! to the revealed ratings `R` (items without training ratings are ignored), by the ridge
//! problem the model's SGD objective implies for one user:
//!
//! ```text
//! bias-svd:  min_{p, b}  sum_{(i,r) in R} (r - mu - b_i - b - q_i . p)^2 + n (l_f |p|^2 + l_b b^2)
//! svd:       min_{p}     sum_{(i,r) in R} (r - q_i . p)^2                + n l_f |p|^2
//! svd-pp:    as bias-svd with q_i . (p + s), s = |R|^-1/2 sum_{j in R} y_j fixed
//! baseline:  min_{b}     sum_{(i,r) in R} (r - mu - b_i - b)^2           + l_u' b^2
//! ```
//!
//! with `n = |R|`, `l_f`/`l_b` the model's `reg-factors`/`reg-bias` (the SGD objective
//! penalises a user's parameters once per rating, hence the factor `n`; see
//! [`FoldInOptions::per_rating`]). `baseline` uses `l_u' = n reg-user` after SGD and
//! `reg-user` after ALS (the ALS user step). The normal equations
//! `(X^T X + diag(lambda)) [p; b] = X^T t`, with rows `X = [q_i, 1]` and targets `t`, are
//! solved by a (k+1) x (k+1) Cholesky factorisation in f64 (k x k without a bias).
//!
//! `truncated-svd` has no regulariser: fold-in is the classical SVD projection of the new
//! centred row (missing = 0), `x = a V_k S_k^-1/2`, i.e. exactly the user factor the
//! decomposition would have given that row with `V` and `S` fixed.
//!
//! A new user with no usable revealed rating gets the no-retrain prediction.

use std::cell::RefCell;

use lfg_core::NewUserPredictor;
use serde::{Deserialize, Serialize};

use crate::common::dot;
use crate::{BaselineError, BaselineMethod, FittedBaseline};

/// Options of fold-in; the defaults reuse the model's own regularisation.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct FoldInOptions {
    /// Factor regularisation `l_f` (default: the model's `reg-factors`).
    pub reg_factors: Option<f32>,
    /// Bias regularisation `l_b` (default: the model's `reg-bias`, or `reg-user` for
    /// `baseline`).
    pub reg_bias: Option<f32>,
    /// Multiply the regularisation by the number of revealed ratings, as the per-rating SGD
    /// objective does (default: true, except for a `baseline` fitted by ALS).
    pub per_rating: Option<bool>,
}

impl FoldInOptions {
    /// Checks the options; errors name the parameter.
    pub fn check(&self) -> Result<(), BaselineError> {
        for (param, v) in [
            ("reg-factors", self.reg_factors),
            ("reg-bias", self.reg_bias),
        ] {
            if let Some(v) = v {
                crate::common::check_nonneg("fold-in", param, v)?;
            }
        }
        Ok(())
    }
}

/// How a fitted baseline serves new users.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "strategy", rename_all = "kebab-case", deny_unknown_fields)]
pub enum NewUserStrategy {
    /// The paper's protocol: the new user is unknown (global mean, or `mu + b_i`).
    #[default]
    NoRetrain,
    /// Closed-form fold-in of the new user's parameters.
    FoldIn(FoldInOptions),
    /// Fit again on train + revealed ratings (done by the runner, timed there).
    Retrain,
}

/// Reusable buffers of fold-in, so that serving a user does not allocate.
#[derive(Clone, Debug, Default)]
pub struct FoldInWorkspace {
    gram: Vec<f64>,
    chol: Vec<f64>,
    rhs: Vec<f64>,
    x: Vec<f64>,
    row: Vec<f64>,
    /// The folded user's factors (`k`), bias, and `svd-pp` implicit sum (`k`).
    p: Vec<f32>,
    bias: f32,
    s: Vec<f32>,
    n_used: usize,
}

impl FoldInWorkspace {
    /// Empty buffers (they grow to the model's k on first use).
    pub fn new() -> Self {
        Self::default()
    }

    /// Factors of the last folded-in user.
    pub fn user_factors(&self) -> &[f32] {
        &self.p
    }

    /// Bias of the last folded-in user (0 for models without user bias).
    pub fn user_bias(&self) -> f32 {
        self.bias
    }

    /// Number of revealed ratings the last fold-in used (items known to the model).
    pub fn n_used(&self) -> usize {
        self.n_used
    }
}

thread_local! {
    static WORKSPACE: RefCell<FoldInWorkspace> = RefCell::new(FoldInWorkspace::new());
}

#[inline]
fn dot64(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0f64; 4];
    let ca = a.chunks_exact(4);
    let cb = b.chunks_exact(4);
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for l in 0..4 {
            acc[l] += x[l] * y[l];
        }
    }
    let mut s = (acc[0] + acc[2]) + (acc[1] + acc[3]);
    for (x, y) in ra.iter().zip(rb) {
        s += x * y;
    }
    s
}

/// In-place Cholesky `a = L L^T` (row-major `d x d`, lower triangle read and written), then
/// solves `L L^T x = b` in place. False when `a` is not numerically positive definite.
fn cholesky_solve(a: &mut [f64], b: &mut [f64], d: usize) -> bool {
    for j in 0..d {
        let (head, tail) = a.split_at_mut(j * d + d);
        let rj = &mut head[j * d..j * d + d];
        let sjj = rj[j] - dot64(&rj[..j], &rj[..j]);
        if !(sjj > 0.0 && sjj.is_finite()) {
            return false;
        }
        let l = sjj.sqrt();
        rj[j] = l;
        let rj = &*rj;
        for ri in tail.chunks_exact_mut(d) {
            ri[j] = (ri[j] - dot64(&ri[..j], &rj[..j])) / l;
        }
    }
    for i in 0..d {
        let ri = &a[i * d..i * d + d];
        b[i] = (b[i] - dot64(&ri[..i], &b[..i])) / ri[i];
    }
    for i in (0..d).rev() {
        let mut s = b[i];
        for t in i + 1..d {
            s -= a[t * d + i] * b[t];
        }
        b[i] = s / a[i * d + i];
    }
    true
}

impl FoldInWorkspace {
    fn reset(&mut self, d: usize, k: usize) {
        self.gram.clear();
        self.gram.resize(d * d, 0.0);
        self.rhs.clear();
        self.rhs.resize(d, 0.0);
        self.row.clear();
        self.row.resize(d, 0.0);
        self.p.clear();
        self.p.resize(k, 0.0);
        self.s.clear();
        self.bias = 0.0;
        self.n_used = 0;
    }

    /// Adds one row `x` (in `self.row`) with target `t` to the normal equations.
    #[inline]
    fn accumulate(&mut self, d: usize, t: f64) {
        for a in 0..d {
            let xa = self.row[a];
            let g = &mut self.gram[a * d..a * d + a + 1];
            for (gv, &xb) in g.iter_mut().zip(&self.row[..=a]) {
                *gv += xa * xb;
            }
            self.rhs[a] += xa * t;
        }
    }

    /// Solves the accumulated ridge system with diagonal `lambda_f` (first `k`) and
    /// `lambda_b` (last, when `d = k + 1`); writes `p` and `bias`.
    fn solve(&mut self, d: usize, k: usize, lambda_f: f64, lambda_b: f64) {
        let trace: f64 = (0..d).map(|a| self.gram[a * d + a]).sum();
        let mut jitter = 0.0;
        for _ in 0..4 {
            self.chol.clear();
            self.chol.extend_from_slice(&self.gram);
            for a in 0..d {
                let l = if a < k { lambda_f } else { lambda_b };
                self.chol[a * d + a] += l + jitter;
            }
            self.x.clear();
            self.x.extend_from_slice(&self.rhs);
            if cholesky_solve(&mut self.chol, &mut self.x, d) {
                for (p, &x) in self.p.iter_mut().zip(&self.x[..k]) {
                    *p = x as f32;
                }
                if d > k {
                    self.bias = self.x[k] as f32;
                }
                return;
            }
            // Singular (zero regularisation and too few ratings): add a tiny ridge.
            jitter = if jitter == 0.0 {
                1e-10 * (trace / d as f64 + 1.0)
            } else {
                jitter * 1e3
            };
        }
        self.p.fill(0.0);
        self.bias = 0.0;
    }
}

impl FittedBaseline {
    /// Folds in a new user described by `revealed` `(item, rating)` pairs; the result stays
    /// in `ws` (see [`FoldInWorkspace::user_factors`]) for [`FittedBaseline::predict_folded`].
    pub fn fold_in_into(
        &self,
        revealed: &[(u32, f32)],
        opts: &FoldInOptions,
        ws: &mut FoldInWorkspace,
    ) {
        let usable = |m: &crate::common::Seen, i: u32| m.item(i);
        match self {
            FittedBaseline::GlobalMean(_) => ws.reset(0, 0),
            FittedBaseline::Baseline(m) => {
                ws.reset(0, 0);
                let (mut sum, mut n) = (0f64, 0usize);
                for &(i, r) in revealed {
                    if usable(&m.seen, i) {
                        sum += f64::from(r - m.global_mean - m.item_bias[i as usize]);
                        n += 1;
                    }
                }
                let per_rating = opts.per_rating.unwrap_or(m.method == BaselineMethod::Sgd);
                let reg = f64::from(opts.reg_bias.unwrap_or(m.reg_user));
                let lambda = if per_rating { reg * n as f64 } else { reg };
                ws.n_used = n;
                if n > 0 {
                    ws.bias = (sum / (n as f64 + lambda)) as f32;
                }
            }
            FittedBaseline::Svd(m) | FittedBaseline::BiasSvd(m) => {
                let k = m.factors;
                let d = if m.biased { k + 1 } else { k };
                ws.reset(d, k);
                for &(i, r) in revealed {
                    if !usable(&m.seen, i) {
                        continue;
                    }
                    let q = m.item_row(i);
                    for (x, &v) in ws.row.iter_mut().zip(q) {
                        *x = f64::from(v);
                    }
                    let t = if m.biased {
                        ws.row[k] = 1.0;
                        f64::from(r) - f64::from(m.global_mean) - f64::from(m.item_bias[i as usize])
                    } else {
                        f64::from(r)
                    };
                    ws.accumulate(d, t);
                    ws.n_used += 1;
                }
                if ws.n_used > 0 {
                    let scale = if opts.per_rating.unwrap_or(true) {
                        ws.n_used as f64
                    } else {
                        1.0
                    };
                    let lf = f64::from(opts.reg_factors.unwrap_or(m.reg_factors)) * scale;
                    let lb = f64::from(opts.reg_bias.unwrap_or(m.reg_bias)) * scale;
                    ws.solve(d, k, lf, lb);
                }
            }
            FittedBaseline::SvdPp(m) => {
                let k = m.factors;
                let d = k + 1;
                ws.reset(d, k);
                let n = revealed
                    .iter()
                    .filter(|&&(i, _)| usable(&m.seen, i))
                    .count();
                ws.s.resize(k, 0.0);
                if n == 0 {
                    return;
                }
                crate::svd_pp::implicit_sum(
                    &m.implicit_factors,
                    k,
                    ExactIter(
                        revealed
                            .iter()
                            .filter(|&&(i, _)| usable(&m.seen, i))
                            .map(|&(i, _)| i),
                        n,
                    ),
                    &mut ws.s,
                );
                for &(i, r) in revealed {
                    if !usable(&m.seen, i) {
                        continue;
                    }
                    let q = m.item_row(i);
                    for (x, &v) in ws.row.iter_mut().zip(q) {
                        *x = f64::from(v);
                    }
                    ws.row[k] = 1.0;
                    let t = f64::from(r)
                        - f64::from(m.global_mean)
                        - f64::from(m.item_bias[i as usize])
                        - f64::from(dot(q, &ws.s));
                    ws.accumulate(d, t);
                    ws.n_used += 1;
                }
                let scale = if opts.per_rating.unwrap_or(true) {
                    n as f64
                } else {
                    1.0
                };
                let lf = f64::from(opts.reg_factors.unwrap_or(m.reg_factors)) * scale;
                let lb = f64::from(opts.reg_bias.unwrap_or(m.reg_bias)) * scale;
                ws.solve(d, k, lf, lb);
            }
            FittedBaseline::TruncatedSvd(m) => {
                let k = m.factors;
                ws.reset(0, k);
                for &(i, r) in revealed {
                    if !usable(&m.seen, i) {
                        continue;
                    }
                    if let Some(v) = m.item_row(i) {
                        let a = r - m.global_mean;
                        for (p, &x) in ws.p.iter_mut().zip(v) {
                            *p += a * x;
                        }
                        ws.n_used += 1;
                    }
                }
                for (p, &s) in ws.p.iter_mut().zip(&m.singular_values) {
                    *p = if s > 0.0 {
                        (f64::from(*p) / s) as f32
                    } else {
                        0.0
                    };
                }
            }
        }
    }

    /// Prediction for `item` from the user folded into `ws` (no-retrain when the fold-in
    /// used no rating), clipped.
    #[inline]
    pub fn predict_folded(&self, ws: &FoldInWorkspace, i: u32) -> f32 {
        if ws.n_used == 0 {
            return self.predict_unknown_user(i);
        }
        match self {
            FittedBaseline::GlobalMean(m) => m.predict(),
            FittedBaseline::Baseline(m) => {
                let bi = if m.seen.item(i) {
                    m.item_bias[i as usize]
                } else {
                    0.0
                };
                m.scale.clip(m.global_mean + ws.bias + bi)
            }
            FittedBaseline::Svd(m) | FittedBaseline::BiasSvd(m) => {
                let known = m.seen.item(i);
                let est = if m.biased {
                    let mut est = m.global_mean + ws.bias;
                    if known {
                        est += m.item_bias[i as usize] + dot(m.item_row(i), &ws.p);
                    }
                    est
                } else if known {
                    dot(m.item_row(i), &ws.p)
                } else {
                    m.global_mean
                };
                m.scale.clip(est)
            }
            FittedBaseline::SvdPp(m) => {
                let mut est = m.global_mean + ws.bias;
                if m.seen.item(i) {
                    let q = m.item_row(i);
                    est += m.item_bias[i as usize] + dot(q, &ws.p) + dot(q, &ws.s);
                }
                m.scale.clip(est)
            }
            FittedBaseline::TruncatedSvd(m) => {
                let est = match m.item_row(i) {
                    Some(v) => m.global_mean + dot(v, &ws.p),
                    None => m.global_mean,
                };
                m.scale.clip(est)
            }
        }
    }

    /// Fold-in with explicit options, as a [`NewUserPredictor`].
    pub fn fold_in(&self, opts: FoldInOptions) -> FoldIn<'_> {
        FoldIn { model: self, opts }
    }

    /// The paper's no-retrain protocol, as a [`NewUserPredictor`]: `svd`, `truncated-svd`
    /// and `global-mean` predict the global mean (the placeholder); `bias-svd`, `svd-pp` and
    /// `baseline` predict `mu + b_i`.
    pub fn no_retrain(&self) -> NoRetrain<'_> {
        NoRetrain { model: self }
    }

    /// The adapter for `strategy`; `None` for `retrain`, which the runner does by fitting
    /// again.
    pub fn new_user_adapter(&self, strategy: &NewUserStrategy) -> Option<NewUserAdapter<'_>> {
        match strategy {
            NewUserStrategy::NoRetrain => Some(NewUserAdapter::NoRetrain(self.no_retrain())),
            NewUserStrategy::FoldIn(o) => Some(NewUserAdapter::FoldIn(self.fold_in(o.clone()))),
            NewUserStrategy::Retrain => None,
        }
    }
}

/// An iterator with a known length (for the implicit sum over usable revealed items).
struct ExactIter<I>(I, usize);

impl<I: Iterator<Item = u32>> Iterator for ExactIter<I> {
    type Item = u32;
    fn next(&mut self) -> Option<u32> {
        self.0.next()
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.1, Some(self.1))
    }
}

impl<I: Iterator<Item = u32>> ExactSizeIterator for ExactIter<I> {}

/// Serves new users by closed-form fold-in (see the module docs).
#[derive(Clone, Debug)]
pub struct FoldIn<'a> {
    model: &'a FittedBaseline,
    opts: FoldInOptions,
}

impl NewUserPredictor for FoldIn<'_> {
    fn predict_new_user(
        &self,
        revealed: &[(u32, f32)],
        _features: &[f32],
        query_items: &[u32],
        out: &mut [f32],
    ) {
        WORKSPACE.with(|ws| {
            let mut ws = ws.borrow_mut();
            self.model.fold_in_into(revealed, &self.opts, &mut ws);
            for (o, &i) in out.iter_mut().zip(query_items) {
                *o = self.model.predict_folded(&ws, i);
            }
        });
    }
}

/// Serves new users as the paper does: without looking at their ratings.
#[derive(Clone, Copy, Debug)]
pub struct NoRetrain<'a> {
    model: &'a FittedBaseline,
}

impl NewUserPredictor for NoRetrain<'_> {
    fn predict_new_user(
        &self,
        _revealed: &[(u32, f32)],
        _features: &[f32],
        query_items: &[u32],
        out: &mut [f32],
    ) {
        for (o, &i) in out.iter_mut().zip(query_items) {
            *o = self.model.predict_unknown_user(i);
        }
    }
}

/// Either new-user adapter, chosen by a [`NewUserStrategy`].
#[derive(Clone, Debug)]
pub enum NewUserAdapter<'a> {
    /// The paper's protocol.
    NoRetrain(NoRetrain<'a>),
    /// Closed-form fold-in.
    FoldIn(FoldIn<'a>),
}

impl NewUserPredictor for NewUserAdapter<'_> {
    fn predict_new_user(
        &self,
        revealed: &[(u32, f32)],
        features: &[f32],
        query_items: &[u32],
        out: &mut [f32],
    ) {
        match self {
            NewUserAdapter::NoRetrain(a) => {
                a.predict_new_user(revealed, features, query_items, out)
            }
            NewUserAdapter::FoldIn(a) => a.predict_new_user(revealed, features, query_items, out),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cholesky_solves_a_known_system() {
        // A = [[4, 2], [2, 3]], b = [2, 1] -> x = [0.5, 0].
        let mut a = vec![4.0, 0.0, 2.0, 3.0];
        let mut b = vec![2.0, 1.0];
        assert!(cholesky_solve(&mut a, &mut b, 2));
        assert!((b[0] - 0.5).abs() < 1e-12 && b[1].abs() < 1e-12, "{b:?}");
        let mut a = vec![1.0, 0.0, 1.0, 1.0];
        let mut b = vec![1.0, 1.0];
        assert!(
            !cholesky_solve(&mut a, &mut b, 2),
            "singular matrix must be rejected"
        );
    }
}
