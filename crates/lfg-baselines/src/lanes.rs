//! Eight-lane f32 arithmetic that gives the same bits on every CPU.
//!
//! The SGD kernels are written once, generic over [`RowOps`], and run on [`Portable`]
//! (plain `[f32; 8]` arrays, any target), on `pulp::x86::V3` (256-bit AVX2 vectors) or on
//! `pulp::x86::V4` (512-bit AVX-512 vectors, each holding two eight-lane chunks). Both backends perform exactly the same IEEE
//! operations in the same order: lane-wise multiply, add and subtract, each rounded on its own
//! (never a fused multiply-add), so their results are bit-identical.
//!
//! The dot product [`dot8`] has a fixed reduction shape that depends only on the length `n`:
//!
//! ```text
//! chunks  c_j = elements 8j .. 8j+7 (the last one zero-padded), j = 0 .. ceil(n/8)
//! m_j     = a(c_j) * b(c_j)                       lane-wise
//! A_r     = m_r + m_{r+4} + m_{r+8} + ...         left to right, r = 0..4 (r < #chunks)
//! S       = (A_0 + A_1) + (A_2 + A_3)             (fewer terms: (A_0 + A_1) + A_2, A_0 + A_1, A_0)
//! h       = [S_0 + S_4, S_1 + S_5, S_2 + S_6, S_3 + S_7]
//! dot     = (h_0 + h_2) + (h_1 + h_3)
//! ```
//!
//! (four independent accumulators keep the dependency chain short: for k = 50 it is one
//! multiply and five adds).

/// Eight f32 lanes with unfused, lane-wise arithmetic. Implementations must round each
/// operation on its own so that every backend gives the same bits.
pub(crate) trait Lanes8: Copy {
    /// A vector of eight f32.
    type V: Copy;
    fn load(self, x: &[f32; 8]) -> Self::V;
    fn store(self, v: Self::V, out: &mut [f32; 8]);
    fn splat(self, x: f32) -> Self::V;
    fn add(self, a: Self::V, b: Self::V) -> Self::V;
    fn mul(self, a: Self::V, b: Self::V) -> Self::V;
    fn to_array(self, v: Self::V) -> [f32; 8];
}

/// The reference backend: `[f32; 8]` arrays, lane by lane.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Portable;

impl Lanes8 for Portable {
    type V = [f32; 8];

    #[inline(always)]
    fn load(self, x: &[f32; 8]) -> [f32; 8] {
        *x
    }

    #[inline(always)]
    fn store(self, v: [f32; 8], out: &mut [f32; 8]) {
        *out = v;
    }

    #[inline(always)]
    fn splat(self, x: f32) -> [f32; 8] {
        [x; 8]
    }

    #[inline(always)]
    fn add(self, a: [f32; 8], b: [f32; 8]) -> [f32; 8] {
        std::array::from_fn(|l| a[l] + b[l])
    }

    #[inline(always)]
    fn mul(self, a: [f32; 8], b: [f32; 8]) -> [f32; 8] {
        std::array::from_fn(|l| a[l] * b[l])
    }

    #[inline(always)]
    fn to_array(self, v: [f32; 8]) -> [f32; 8] {
        v
    }
}

/// AVX2 vectors (`vaddps`/`vmulps` on 256 bits: the same lane-wise IEEE operations).
#[cfg(target_arch = "x86_64")]
impl Lanes8 for pulp::x86::V3 {
    type V = pulp::f32x8;

    #[inline(always)]
    fn load(self, x: &[f32; 8]) -> pulp::f32x8 {
        pulp::cast(*x)
    }

    #[inline(always)]
    fn store(self, v: pulp::f32x8, out: &mut [f32; 8]) {
        *out = pulp::cast(v);
    }

    #[inline(always)]
    fn splat(self, x: f32) -> pulp::f32x8 {
        self.splat_f32x8(x)
    }

    #[inline(always)]
    fn add(self, a: pulp::f32x8, b: pulp::f32x8) -> pulp::f32x8 {
        self.add_f32x8(a, b)
    }

    #[inline(always)]
    fn mul(self, a: pulp::f32x8, b: pulp::f32x8) -> pulp::f32x8 {
        self.mul_f32x8(a, b)
    }

    #[inline(always)]
    fn to_array(self, v: pulp::f32x8) -> [f32; 8] {
        pulp::cast(v)
    }
}

/// `x` zero-padded to eight lanes (`x.len() < 8`); lane by lane, so that a run-time length
/// costs no `memcpy` call.
#[inline(always)]
fn pad(x: &[f32]) -> [f32; 8] {
    std::array::from_fn(|l| x.get(l).copied().unwrap_or(0.0))
}

/// The dot product of `a` and `b` (the shorter length) with the fixed reduction shape of
/// the module documentation; every backend gives the same bits.
#[inline(always)]
pub(crate) fn dot8<L: Lanes8>(l: L, a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (ca, _) = a[..n].as_chunks::<8>();
    let (cb, _) = b[..n].as_chunks::<8>();
    let m = |x: &[f32; 8], y: &[f32; 8]| l.mul(l.load(x), l.load(y));
    // Whole groups of four chunks: chunk 4g + r goes to accumulator r.
    let (ga, _) = ca.as_chunks::<4>();
    let (gb, _) = cb.as_chunks::<4>();
    let mut acc = [l.splat(0.0); 4];
    let mut chunks = 0usize;
    if let (Some((xa, ga)), Some((xb, gb))) = (ga.split_first(), gb.split_first()) {
        acc = std::array::from_fn(|r| m(&xa[r], &xb[r]));
        for (xa, xb) in ga.iter().zip(gb) {
            acc = std::array::from_fn(|r| l.add(acc[r], m(&xa[r], &xb[r])));
        }
        chunks = 4 * (ga.len() + 1);
    }
    // Then up to three more chunks and the zero-padded tail, in order.
    let done = 8 * chunks;
    dot8_finish(l, acc, chunks, &a[done..n], &b[done..n])
}

/// The end of [`dot8`] for any backend: `acc` holds the first `chunks` eight-lane chunks
/// (accumulator `r` has the chunks `r, r + 4, ...`); the chunks of the rest `a`, `b` (a
/// zero-padded last one) join their accumulators in order, then the four are combined in
/// the documented shape.
#[inline(always)]
fn dot8_finish<L: Lanes8>(
    l: L,
    mut acc: [L::V; 4],
    mut chunks: usize,
    a: &[f32],
    b: &[f32],
) -> f32 {
    let mut push = |v: L::V| {
        let r = chunks % 4;
        acc[r] = if chunks < 4 { v } else { l.add(acc[r], v) };
        chunks += 1;
    };
    let (ca, ra) = a.as_chunks::<8>();
    let (cb, rb) = b.as_chunks::<8>();
    for (x, y) in ca.iter().zip(cb) {
        push(l.mul(l.load(x), l.load(y)));
    }
    if !ra.is_empty() {
        push(l.mul(l.load(&pad(ra)), l.load(&pad(rb))));
    }
    let s = match chunks {
        0 => return 0.0,
        1 => acc[0],
        2 => l.add(acc[0], acc[1]),
        3 => l.add(l.add(acc[0], acc[1]), acc[2]),
        _ => l.add(l.add(acc[0], acc[1]), l.add(acc[2], acc[3])),
    };
    let s = l.to_array(s);
    let h = [s[0] + s[4], s[1] + s[5], s[2] + s[6], s[3] + s[7]];
    (h[0] + h[2]) + (h[1] + h[3])
}

/// `p <- keep p + le q` and `q <- keep q + le p` (both from the old rows), lane-wise; the
/// tail beyond the last full chunk as one zero-padded chunk (the same operations per
/// element).
#[inline(always)]
pub(crate) fn update_rows8<L: Lanes8>(l: L, p: &mut [f32], q: &mut [f32], keep: f32, le: f32) {
    let n = p.len().min(q.len());
    let (cp, rp) = p[..n].as_chunks_mut::<8>();
    let (cq, rq) = q[..n].as_chunks_mut::<8>();
    let (vk, vl) = (l.splat(keep), l.splat(le));
    for (x, y) in cp.iter_mut().zip(cq.iter_mut()) {
        let (p0, q0) = (l.load(x), l.load(y));
        l.store(l.add(l.mul(vk, p0), l.mul(vl, q0)), x);
        l.store(l.add(l.mul(vk, q0), l.mul(vl, p0)), y);
    }
    if !rp.is_empty() {
        let (p0, q0) = (l.load(&pad(rp)), l.load(&pad(rq)));
        let (mut np, mut nq) = ([0f32; 8], [0f32; 8]);
        l.store(l.add(l.mul(vk, p0), l.mul(vl, q0)), &mut np);
        l.store(l.add(l.mul(vk, q0), l.mul(vl, p0)), &mut nq);
        rp.copy_from_slice(&np[..rp.len()]);
        rq.copy_from_slice(&nq[..rq.len()]);
    }
}

/// The two row kernels of an SGD step, implemented by every backend with the same bits:
/// [`dot8`]'s reduction shape and [`update_rows8`]'s lane-wise update.
pub(crate) trait RowOps: Copy {
    /// `a . b` with the reduction shape of the module documentation.
    fn dot(self, a: &[f32], b: &[f32]) -> f32;
    /// `p <- keep p + le q`, `q <- keep q + le p` (both from the old rows).
    fn update(self, p: &mut [f32], q: &mut [f32], keep: f32, le: f32);
}

/// [`RowOps`] for an eight-lane backend: [`dot8`] and [`update_rows8`] themselves.
macro_rules! row_ops_of_lanes8 {
    ($($(#[$attr:meta])* $t:ty),*) => {$(
        $(#[$attr])*
        impl RowOps for $t {
            #[inline(always)]
            fn dot(self, a: &[f32], b: &[f32]) -> f32 {
                dot8(self, a, b)
            }

            #[inline(always)]
            fn update(self, p: &mut [f32], q: &mut [f32], keep: f32, le: f32) {
                update_rows8(self, p, q, keep, le);
            }
        }
    )*};
}

row_ops_of_lanes8!(
    Portable,
    #[cfg(target_arch = "x86_64")]
    pulp::x86::V3
);

/// AVX-512: sixteen lanes per instruction, the same operations as the eight-lane kernels.
///
/// A 512-bit vector holds two consecutive eight-lane chunks `2m, 2m + 1`, which belong to
/// the accumulators `2m mod 4` and `2m + 1 mod 4`: vector `m` goes to `A = [A_0 | A_1]`
/// when `m` is even and to `B = [A_2 | A_3]` when it is odd, so adding the vectors left to
/// right performs exactly [`dot8`]'s additions. The chunks after the last whole 16-lane
/// vector go through the eight-lane code with the same bookkeeping.
#[cfg(target_arch = "x86_64")]
impl RowOps for pulp::x86::V4 {
    #[inline(always)]
    fn dot(self, a: &[f32], b: &[f32]) -> f32 {
        use pulp::Simd;
        let l = *self;
        let n = a.len().min(b.len());
        let m = |x: &[f32; 16], y: &[f32; 16]| self.mul_f32s(pulp::cast(*x), pulp::cast(*y));
        // Pairs of 16-lane vectors (32 elements): the even one to A, the odd one to B.
        let (pa, ra) = a[..n].as_chunks::<32>();
        let (pb, rb) = b[..n].as_chunks::<32>();
        let (mut va, mut vb) = (None::<pulp::f32x16>, None::<pulp::f32x16>);
        for (x, y) in pa.iter().zip(pb) {
            let ([x0, x1], [y0, y1]): ([[f32; 16]; 2], [[f32; 16]; 2]) =
                (pulp::cast(*x), pulp::cast(*y));
            let (e, o) = (m(&x0, &y0), m(&x1, &y1));
            va = Some(va.map_or(e, |w| self.add_f32s(w, e)));
            vb = Some(vb.map_or(o, |w| self.add_f32s(w, o)));
        }
        // At most one more whole 16-lane vector; it is even (it follows whole pairs).
        let (ca, ra) = ra.as_chunks::<16>();
        let (cb, rb) = rb.as_chunks::<16>();
        for (x, y) in ca.iter().zip(cb) {
            let e = m(x, y);
            va = Some(va.map_or(e, |w| self.add_f32s(w, e)));
        }
        let mut acc = [l.splat(0.0); 4];
        if let Some(va) = va {
            let [a0, a1]: [pulp::f32x8; 2] = pulp::cast(va);
            acc[0] = a0;
            acc[1] = a1;
        }
        if let Some(vb) = vb {
            let [b0, b1]: [pulp::f32x8; 2] = pulp::cast(vb);
            acc[2] = b0;
            acc[3] = b1;
        }
        let chunks = 2 * (2 * pa.len() + ca.len());
        dot8_finish(l, acc, chunks, ra, rb)
    }

    #[inline(always)]
    fn update(self, p: &mut [f32], q: &mut [f32], keep: f32, le: f32) {
        use pulp::Simd;
        let n = p.len().min(q.len());
        let (p, q) = (&mut p[..n], &mut q[..n]);
        let (cp, rp) = p.as_chunks_mut::<16>();
        let (cq, rq) = q.as_chunks_mut::<16>();
        let (vk, vl) = (self.splat_f32s(keep), self.splat_f32s(le));
        for (x, y) in cp.iter_mut().zip(cq.iter_mut()) {
            let (p0, q0): (pulp::f32x16, pulp::f32x16) = (pulp::cast(*x), pulp::cast(*y));
            let np = self.add_f32s(self.mul_f32s(vk, p0), self.mul_f32s(vl, q0));
            let nq = self.add_f32s(self.mul_f32s(vk, q0), self.mul_f32s(vl, p0));
            *x = pulp::cast(np);
            *y = pulp::cast(nq);
        }
        update_rows8(*self, rp, rq, keep, le);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(seed: u64, n: usize) -> (Vec<f32>, Vec<f32>) {
        let mut rng = lfg_core::Rng::new(seed);
        let a = (0..n).map(|_| rng.normal() as f32).collect();
        let b = (0..n).map(|_| rng.normal() as f32).collect();
        (a, b)
    }

    #[test]
    fn dot8_matches_f64_sum_within_rounding() {
        for n in 0..=70 {
            let (a, b) = data(n as u64, n);
            let naive: f64 = a
                .iter()
                .zip(&b)
                .map(|(x, y)| f64::from(*x) * f64::from(*y))
                .sum();
            let d = f64::from(dot8(Portable, &a, &b));
            assert!((d - naive).abs() < 1e-5 * (1.0 + naive.abs()), "n = {n}");
        }
    }

    #[test]
    fn dot8_follows_the_documented_reduction_shape() {
        // n = 50: chunks 0..6 full, chunk 6 = elements 48, 49 zero-padded.
        let (a, b) = data(3, 50);
        let m: Vec<[f32; 8]> = (0..7)
            .map(|j| std::array::from_fn(|l| a.get(8 * j + l).map_or(0.0, |x| x * b[8 * j + l])))
            .collect();
        let add = |x: [f32; 8], y: [f32; 8]| -> [f32; 8] { std::array::from_fn(|l| x[l] + y[l]) };
        let acc = [add(m[0], m[4]), add(m[1], m[5]), add(m[2], m[6]), m[3]];
        let s = add(add(acc[0], acc[1]), add(acc[2], acc[3]));
        let h = [s[0] + s[4], s[1] + s[5], s[2] + s[6], s[3] + s[7]];
        let want = (h[0] + h[2]) + (h[1] + h[3]);
        assert_eq!(dot8(Portable, &a, &b).to_bits(), want.to_bits());
        // Short rows: one zero-padded chunk is the plain sum for n <= 2.
        assert_eq!(dot8(Portable, &[0.5, -2.0], &[4.0, 0.25]), 1.5);
        assert_eq!(dot8(Portable, &[], &[]), 0.0);
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn avx512_row_ops_are_bit_identical_to_portable() {
        let Some(v4) = pulp::x86::V4::try_new() else {
            tracing::warn!("no AVX-512 on this CPU: only the other backends can be checked");
            return;
        };
        // Every split of n into whole 32-lane pairs, one 16-lane vector, whole and padded
        // 8-lane chunks, and the chunk counts below four.
        for n in (0..=80).chain([100, 112, 128, 129, 200, 255]) {
            let (a, b) = data(300 + n as u64, n);
            let got = v4.vectorize(|| RowOps::dot(v4, &a, &b));
            assert_eq!(
                got.to_bits(),
                dot8(Portable, &a, &b).to_bits(),
                "dot, n = {n}"
            );
            let (mut p1, mut q1) = (a.clone(), b.clone());
            let (mut p2, mut q2) = (a, b);
            v4.vectorize(|| RowOps::update(v4, &mut p1, &mut q1, 0.999, -0.0123));
            update_rows8(Portable, &mut p2, &mut q2, 0.999, -0.0123);
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&p1), bits(&p2), "update p, n = {n}");
            assert_eq!(bits(&q1), bits(&q2), "update q, n = {n}");
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn avx2_backend_is_bit_identical_to_portable() {
        let Some(v3) = pulp::x86::V3::try_new() else {
            tracing::warn!("no AVX2 on this CPU: only the portable backend can be checked");
            return;
        };
        for n in (0..=70).chain([100, 128, 129, 200]) {
            let (a, b) = data(100 + n as u64, n);
            assert_eq!(
                dot8(v3, &a, &b).to_bits(),
                dot8(Portable, &a, &b).to_bits(),
                "dot, n = {n}"
            );
            let (mut p1, mut q1) = (a.clone(), b.clone());
            let (mut p2, mut q2) = (a, b);
            update_rows8(v3, &mut p1, &mut q1, 0.999, 0.0123);
            update_rows8(Portable, &mut p2, &mut q2, 0.999, 0.0123);
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&p1), bits(&p2), "update p, n = {n}");
            assert_eq!(bits(&q1), bits(&q2), "update q, n = {n}");
        }
    }
}
