//! Exact and randomised truncated SVD of the centred rating matrix.

use std::time::Instant;

use faer::diag::Diag;
use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::svd::{ComputeSvdVectors, svd, svd_scratch};
use faer::{Mat, MatRef, Par};
use lfg_core::{EpochObserver, EpochReport, RatingScale, Rng, Triplets, UserIndex, derive_seed};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::{NAME, SvdSolver, TruncatedSvdParams};
use crate::BaselineError;
use crate::common::{SKETCH_STREAM, Seen, check_train, dot};

/// Dense matrices with at most this many entries use the exact solver under `auto`.
const AUTO_EXACT_MAX_ENTRIES: usize = 2_000_000;

/// A fitted truncated SVD: `r(u, i) = mu + x_u . v_i`, clipped.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct TruncatedSvdModel {
    /// Number of triplets kept, k.
    pub factors: usize,
    /// Mean training rating `mu` subtracted before the decomposition.
    pub global_mean: f32,
    /// `U_k sqrt(S_k)`, row-major `n_users x k` (zero rows for users without ratings).
    pub user_factors: Vec<f32>,
    /// `V_k sqrt(S_k)` (that is, `(sqrt(S_k) V_k^T)^T`), row-major `n_items x k`.
    pub item_factors: Vec<f32>,
    /// The k leading singular values, non-increasing.
    pub singular_values: Vec<f64>,
    /// The solver actually used.
    pub solver: SvdSolver,
    /// Users and items with training ratings.
    pub seen: Seen,
    /// Rating scale predictions are clipped to.
    pub scale: RatingScale,
}

/// A sparse matrix in compressed rows with f64 values (the centred ratings).
struct Csr {
    offsets: Vec<usize>,
    cols: Vec<u32>,
    vals: Vec<f64>,
}

impl Csr {
    fn centred(idx: &UserIndex, mu: f64) -> Self {
        Self {
            offsets: idx.offsets.clone(),
            cols: idx.items.clone(),
            vals: idx.ratings.iter().map(|&r| f64::from(r) - mu).collect(),
        }
    }

    fn n_rows(&self) -> usize {
        self.offsets.len() - 1
    }

    /// `out = self * x`, with `x` column-major `n_cols x l` and `out` column-major
    /// `n_rows x l`. Parallel over columns; every entry is summed in a fixed order, so the
    /// result does not depend on the thread count.
    fn mul(&self, x: &[f64], n_cols: usize, l: usize, out: &mut [f64]) {
        let m = self.n_rows();
        debug_assert_eq!(x.len(), n_cols * l);
        debug_assert_eq!(out.len(), m * l);
        out.par_chunks_mut(m).enumerate().for_each(|(c, oc)| {
            let xc = &x[c * n_cols..(c + 1) * n_cols];
            for (r, o) in oc.iter_mut().enumerate() {
                let (a, b) = (self.offsets[r], self.offsets[r + 1]);
                let mut acc = 0.0;
                for (&j, &v) in self.cols[a..b].iter().zip(&self.vals[a..b]) {
                    acc += v * xc[j as usize];
                }
                *o = acc;
            }
        });
    }
}

/// `(U, s, V)` of a thin SVD.
type DenseSvd = (Mat<f64>, Vec<f64>, Mat<f64>);

/// Thin SVD `a = U diag(s) V^T` of a column-major `m x n` matrix (sequential, so the bits do
/// not depend on the thread count). Returns column-major `U (m x r)`, `s (r)`, `V (n x r)`,
/// `r = min(m, n)`.
fn thin_svd(a: &[f64], m: usize, n: usize) -> Result<DenseSvd, BaselineError> {
    let r = m.min(n);
    let a = MatRef::from_column_major_slice(a, m, n);
    let mut u = Mat::<f64>::zeros(m, r);
    let mut v = Mat::<f64>::zeros(n, r);
    let mut s = Diag::<f64>::zeros(r);
    let par = Par::Seq;
    let mut mem = MemBuffer::new(svd_scratch::<f64>(
        m,
        n,
        ComputeSvdVectors::Thin,
        ComputeSvdVectors::Thin,
        par,
        Default::default(),
    ));
    svd(
        a,
        s.as_mut(),
        Some(u.as_mut()),
        Some(v.as_mut()),
        par,
        MemStack::new(&mut mem),
        Default::default(),
    )
    .map_err(|e| BaselineError::Linalg {
        model: NAME,
        detail: format!("SVD of a {m} x {n} matrix did not converge ({e:?})"),
    })?;
    let s = (0..r).map(|c| s[c]).collect();
    Ok((u, s, v))
}

/// An orthonormal basis (column-major `m x l`) of the columns of `y` (column-major `m x l`,
/// `l <= m`), from the left singular vectors.
fn orthonormalise(y: &[f64], m: usize, l: usize) -> Result<Vec<f64>, BaselineError> {
    let (u, _, _) = thin_svd(y, m, l)?;
    let mut q = Vec::with_capacity(m * l);
    for c in 0..l {
        q.extend_from_slice(u.col_as_slice(c));
    }
    Ok(q)
}

/// The leading `k` triplets as (U col-major m x k, s, V col-major n x k).
type Triplet = (Vec<f64>, Vec<f64>, Vec<f64>);

fn exact(by_user: &Csr, m: usize, n: usize, k: usize) -> Result<Triplet, BaselineError> {
    let mut dense = vec![0f64; m * n];
    for r in 0..m {
        let (a, b) = (by_user.offsets[r], by_user.offsets[r + 1]);
        for (&j, &v) in by_user.cols[a..b].iter().zip(&by_user.vals[a..b]) {
            dense[j as usize * m + r] += v;
        }
    }
    let (u, s, v) = thin_svd(&dense, m, n)?;
    let mut uk = Vec::with_capacity(m * k);
    let mut vk = Vec::with_capacity(n * k);
    for c in 0..k {
        uk.extend_from_slice(u.col_as_slice(c));
        vk.extend_from_slice(v.col_as_slice(c));
    }
    Ok((uk, s[..k].to_vec(), vk))
}

#[allow(clippy::too_many_arguments)]
fn randomized(
    by_user: &Csr,
    by_item: &Csr,
    m: usize,
    n: usize,
    k: usize,
    oversampling: usize,
    power_iterations: usize,
    seed: u64,
) -> Result<Triplet, BaselineError> {
    let l = (k + oversampling).min(m).min(n);
    let mut rng = Rng::new(derive_seed(seed, &[SKETCH_STREAM]));
    let omega: Vec<f64> = (0..n * l).map(|_| rng.normal()).collect();
    let mut y = vec![0f64; m * l];
    let mut z = vec![0f64; n * l];
    by_user.mul(&omega, n, l, &mut y);
    let mut q = orthonormalise(&y, m, l)?;
    for _ in 0..power_iterations {
        by_item.mul(&q, m, l, &mut z);
        let zq = orthonormalise(&z, n, l)?;
        by_user.mul(&zq, n, l, &mut y);
        q = orthonormalise(&y, m, l)?;
    }
    // W = A^T Q (n x l) = Ub Sb Vb^T, so A ~ Q W^T = (Q Vb) Sb Ub^T.
    by_item.mul(&q, m, l, &mut z);
    let (ub, s, vb) = thin_svd(&z, n, l)?;
    let mut uk = vec![0f64; m * k];
    for c in 0..k {
        let vc = vb.col_as_slice(c);
        let out = &mut uk[c * m..(c + 1) * m];
        for (t, &w) in vc.iter().enumerate() {
            let qt = &q[t * m..(t + 1) * m];
            for (o, &x) in out.iter_mut().zip(qt) {
                *o += w * x;
            }
        }
    }
    let mut vk = Vec::with_capacity(n * k);
    for c in 0..k {
        vk.extend_from_slice(ub.col_as_slice(c));
    }
    Ok((uk, s[..k].to_vec(), vk))
}

impl TruncatedSvdModel {
    /// Decomposes the centred training matrix; reports one "epoch" with the training MSE of
    /// the rank-k reconstruction on the observed ratings.
    ///
    /// The sign of each singular pair is fixed so that the largest-magnitude entry of the
    /// item vector is positive. Duplicate `(user, item)` pairs are summed.
    pub fn fit(
        params: &TruncatedSvdParams,
        train: &Triplets,
        seed: u64,
        obs: &dyn EpochObserver,
    ) -> Result<Self, BaselineError> {
        params.check()?;
        check_train(NAME, train)?;
        let (m, n, k) = (
            train.n_users as usize,
            train.n_items as usize,
            params.factors,
        );
        if k > m.min(n) {
            return Err(BaselineError::param(
                NAME,
                "factors",
                k,
                "must be <= min(n_users, n_items) of the training set",
            ));
        }
        let start = Instant::now();
        let mu = train.mean();
        let by_user = Csr::centred(&train.by_user(), mu);
        let solver = match params.solver {
            SvdSolver::Auto if m.saturating_mul(n) <= AUTO_EXACT_MAX_ENTRIES => SvdSolver::Exact,
            SvdSolver::Auto => SvdSolver::Randomized,
            s => s,
        };
        let (u, s, v) = match solver {
            SvdSolver::Randomized => {
                let by_item = Csr::centred(&train.by_item(), mu);
                randomized(
                    &by_user,
                    &by_item,
                    m,
                    n,
                    k,
                    params.oversampling,
                    params.power_iterations,
                    seed,
                )?
            }
            _ => exact(&by_user, m, n, k)?,
        };
        let mut user_factors = vec![0f32; m * k];
        let mut item_factors = vec![0f32; n * k];
        for c in 0..k {
            let (uc, vc) = (&u[c * m..(c + 1) * m], &v[c * n..(c + 1) * n]);
            let mut best = (0usize, 0f64);
            for (j, &x) in vc.iter().enumerate() {
                if x.abs() > best.1 {
                    best = (j, x.abs());
                }
            }
            let sign = if vc.get(best.0).copied().unwrap_or(0.0) < 0.0 {
                -1.0
            } else {
                1.0
            };
            let root = s[c].max(0.0).sqrt() * sign;
            for (r, &x) in uc.iter().enumerate() {
                user_factors[r * k + c] = (x * root) as f32;
            }
            for (j, &x) in vc.iter().enumerate() {
                item_factors[j * k + c] = (x * s[c].max(0.0).sqrt() * sign) as f32;
            }
        }
        let model = Self {
            factors: k,
            global_mean: mu as f32,
            user_factors,
            item_factors,
            singular_values: s,
            solver,
            seen: Seen::from_train(train),
            scale: train.scale,
        };
        let sse: f64 = (0..train.len())
            .map(|r| {
                let e =
                    f64::from(train.rating[r]) - f64::from(model.raw(train.user[r], train.item[r]));
                e * e
            })
            .sum();
        let mse = sse / train.len() as f64;
        let seconds = start.elapsed().as_secs_f64();
        tracing::info!(model = NAME, k, ?solver, seconds, train_mse = mse, "fitted");
        obs.on_epoch(&EpochReport {
            epoch: 1,
            train_loss: mse,
            valid_rmse: None,
            seconds,
        });
        Ok(model)
    }

    #[inline]
    pub(crate) fn item_row(&self, i: u32) -> Option<&[f32]> {
        let k = self.factors;
        self.item_factors.get(i as usize * k..(i as usize + 1) * k)
    }

    /// Unclipped `mu + x_u . v_i` (just `mu` outside the index space).
    #[inline]
    fn raw(&self, u: u32, i: u32) -> f32 {
        let k = self.factors;
        match (
            self.user_factors.get(u as usize * k..(u as usize + 1) * k),
            self.item_row(i),
        ) {
            (Some(x), Some(v)) => self.global_mean + dot(x, v),
            _ => self.global_mean,
        }
    }

    /// `mu + x_u . v_i`, clipped.
    #[inline]
    pub fn predict(&self, u: u32, i: u32) -> f32 {
        self.scale.clip(self.raw(u, i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lfg_core::model::NoObserver;

    #[test]
    fn thin_svd_of_known_matrix() {
        // [[3, 0], [0, -2], [0, 0]] has singular values 3 and 2.
        let a = [3.0, 0.0, 0.0, 0.0, -2.0, 0.0];
        let (_, s, _) = thin_svd(&a, 3, 2).unwrap();
        assert!(
            (s[0] - 3.0).abs() < 1e-12 && (s[1] - 2.0).abs() < 1e-12,
            "{s:?}"
        );
        // [[2, 0], [1, 2]]: s^2 are the eigenvalues of A^T A = [[5, 2], [2, 4]],
        // (9 +- sqrt(17)) / 2.
        let a = [2.0, 1.0, 0.0, 2.0];
        let (_, s, _) = thin_svd(&a, 2, 2).unwrap();
        let want = [
            ((9.0 + 17f64.sqrt()) / 2.0).sqrt(),
            ((9.0 - 17f64.sqrt()) / 2.0).sqrt(),
        ];
        assert!(
            (s[0] - want[0]).abs() < 1e-12 && (s[1] - want[1]).abs() < 1e-12,
            "{s:?}"
        );
    }

    /// A complete rank-2 rating matrix around `mu`: both solvers must reconstruct it.
    fn rank2(m: usize, n: usize) -> Triplets {
        let mut t = Triplets::with_capacity(
            m as u32,
            n as u32,
            RatingScale {
                min: -100.0,
                max: 100.0,
            },
            m * n,
        );
        for u in 0..m {
            for i in 0..n {
                let (a, b) = (u as f32 / m as f32 - 0.5, (i as f32 * 0.7).sin());
                let (c, d) = ((u as f32 * 1.3).cos(), i as f32 / n as f32);
                t.push(u as u32, i as u32, 3.0 + 2.0 * a * b + c * d);
            }
        }
        t
    }

    #[test]
    fn reconstructs_low_rank_matrix_with_both_solvers() {
        let t = rank2(30, 20);
        // Centring by the global mean adds at most one rank: k = 3 is exact.
        for solver in [SvdSolver::Exact, SvdSolver::Randomized] {
            let p = TruncatedSvdParams {
                factors: 3,
                solver,
                ..Default::default()
            };
            let m = TruncatedSvdModel::fit(&p, &t, 1, &NoObserver).unwrap();
            assert_eq!(m.solver, solver);
            let worst = (0..t.len())
                .map(|r| (m.predict(t.user[r], t.item[r]) - t.rating[r]).abs())
                .fold(0f32, f32::max);
            assert!(worst < 1e-4, "{solver:?}: worst error {worst}");
            assert!(m.singular_values.windows(2).all(|w| w[0] >= w[1]));
        }
    }

    #[test]
    fn randomized_matches_exact_leading_values() {
        // A sparse-ish matrix: keep two thirds of the entries of a rank-2 matrix plus noise.
        let full = rank2(60, 40);
        let mut t = Triplets::with_capacity(60, 40, full.scale, full.len());
        let mut rng = Rng::new(3);
        for r in 0..full.len() {
            if rng.next_f64() < 0.66 {
                t.push(
                    full.user[r],
                    full.item[r],
                    full.rating[r] + rng.normal() as f32 * 0.1,
                );
            }
        }
        let fit = |solver| {
            let p = TruncatedSvdParams {
                factors: 5,
                solver,
                ..Default::default()
            };
            TruncatedSvdModel::fit(&p, &t, 7, &NoObserver).unwrap()
        };
        let (e, r) = (fit(SvdSolver::Exact), fit(SvdSolver::Randomized));
        for (a, b) in e.singular_values.iter().zip(&r.singular_values).take(3) {
            assert!((a - b).abs() < 1e-6 * a, "{a} vs {b}");
        }
        // Same signs and vectors for the well-separated leading pairs.
        for (a, b) in e.item_factors.iter().zip(&r.item_factors).step_by(5) {
            assert!((a - b).abs() < 1e-3, "{a} vs {b}");
        }
    }

    #[test]
    fn too_many_factors_is_an_error_naming_the_parameter() {
        let t = rank2(4, 3);
        let p = TruncatedSvdParams {
            factors: 4,
            ..Default::default()
        };
        let e = TruncatedSvdModel::fit(&p, &t, 0, &NoObserver)
            .unwrap_err()
            .to_string();
        assert!(e.contains("factors"), "{e}");
    }
}
