//! Deterministic random numbers.
//!
//! Every random choice in `lfg` flows from a seed written in an experiment file. Seeds for
//! sub-tasks (a fold, a trial, an epoch) are derived with [`derive_seed`], so results do not
//! depend on thread scheduling. The generator is xoshiro256++ seeded through SplitMix64; it is
//! small, fast and its stream is fixed by this file, not by a dependency's version.

/// SplitMix64 step: a good 64-bit mixer, used for seeding and seed derivation.
#[inline]
pub fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Derives a child seed from a base seed and a path of indices, e.g.
/// `derive_seed(experiment_seed, &[trial, fold])`. Different paths give independent streams.
pub fn derive_seed(base: u64, path: &[u64]) -> u64 {
    let mut state = base ^ 0x6C66_6700_0000_0000; // "lfg"
    let mut out = splitmix64(&mut state);
    for &p in path {
        state ^= p.wrapping_mul(0xD1B5_4A32_D192_ED03).wrapping_add(out);
        out = splitmix64(&mut state);
    }
    out
}

/// xoshiro256++ pseudo-random generator.
#[derive(Clone, Debug)]
pub struct Rng {
    s: [u64; 4],
    spare_normal: Option<f64>,
}

impl Rng {
    /// A generator whose whole stream is fixed by `seed`.
    pub fn new(seed: u64) -> Self {
        let mut sm = seed;
        let s = [
            splitmix64(&mut sm),
            splitmix64(&mut sm),
            splitmix64(&mut sm),
            splitmix64(&mut sm),
        ];
        Self {
            s,
            spare_normal: None,
        }
    }

    /// Next 64 random bits.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        let result = (self.s[0].wrapping_add(self.s[3]))
            .rotate_left(23)
            .wrapping_add(self.s[0]);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// Uniform in `[0, 1)` with 53 bits of precision.
    #[inline]
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in `[0, 1)` as `f32` (24 bits).
    #[inline]
    pub fn next_f32(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 * (1.0 / (1u32 << 24) as f32)
    }

    /// Uniform integer in `0..n` (Lemire's method, unbiased). `n` must be positive.
    #[inline]
    pub fn below(&mut self, n: u64) -> u64 {
        assert!(n > 0, "Rng::below(0)");
        loop {
            let x = self.next_u64();
            let m = (x as u128) * (n as u128);
            let low = m as u64;
            if low >= n.wrapping_neg() % n {
                return (m >> 64) as u64;
            }
        }
    }

    /// Uniform in `[lo, hi)`.
    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.next_f64()
    }

    /// Standard normal (Box-Muller, polar form).
    pub fn normal(&mut self) -> f64 {
        if let Some(z) = self.spare_normal.take() {
            return z;
        }
        loop {
            let (u, v, s) = self.polar_candidate();
            if polar_accepts(s) {
                let f = polar_factor(s);
                self.spare_normal = Some(v * f);
                return u * f;
            }
        }
    }

    /// A candidate point `(u, v, s = u^2 + v^2)` of the polar method, `u`, `v` uniform in
    /// `[-1, 1)`.
    #[inline]
    fn polar_candidate(&mut self) -> (f64, f64, f64) {
        let u = 2.0 * self.next_f64() - 1.0;
        let v = 2.0 * self.next_f64() - 1.0;
        (u, v, u * u + v * v)
    }

    /// Normal with the given mean and standard deviation.
    pub fn normal_with(&mut self, mean: f64, std: f64) -> f64 {
        mean + std * self.normal()
    }

    /// Fills `out` with `(mean + std * z) as f32` for the next `out.len()` values `z` of
    /// [`Self::normal`]: exactly the values, the random draws consumed and the spare left
    /// behind of that many calls of [`Self::normal_with`], but faster. The candidate points of
    /// the polar method are drawn first, a batch at a time, keeping the accepted ones without
    /// a branch; the logarithms, divisions and square roots of a batch then run as
    /// independent operations instead of one dependent chain per value.
    pub fn fill_normal_f32(&mut self, out: &mut [f32], mean: f64, std: f64) {
        const BATCH: usize = 64;
        let mut done = 0;
        if let (Some(first), Some(z)) = (out.first_mut(), self.spare_normal) {
            self.spare_normal = None;
            *first = (mean + std * z) as f32;
            done = 1;
        }
        let mut pts = [(0f64, 0f64, 0f64); BATCH];
        while done < out.len() {
            // Each accepted point gives two values; draw only as many as `normal` would.
            let want = (out.len() - done).div_ceil(2).min(BATCH);
            let mut got = 0;
            while got < want {
                let pt = self.polar_candidate();
                pts[got] = pt;
                got += usize::from(polar_accepts(pt.2));
            }
            for &(u, v, s) in &pts[..want] {
                let f = polar_factor(s);
                let (z0, z1) = (u * f, v * f);
                out[done] = (mean + std * z0) as f32;
                done += 1;
                match out.get_mut(done) {
                    Some(x) => {
                        *x = (mean + std * z1) as f32;
                        done += 1;
                    }
                    None => self.spare_normal = Some(z1),
                }
            }
        }
    }

    /// Bernoulli trial with probability `p`.
    #[inline]
    pub fn bernoulli(&mut self, p: f64) -> bool {
        self.next_f64() < p
    }

    /// Fisher-Yates shuffle.
    pub fn shuffle<T>(&mut self, xs: &mut [T]) {
        for i in (1..xs.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            xs.swap(i, j);
        }
    }

    /// A random permutation of `0..n`.
    pub fn permutation(&mut self, n: usize) -> Vec<u32> {
        let mut v: Vec<u32> = (0..n as u32).collect();
        self.shuffle(&mut v);
        v
    }
}

/// Whether the polar method keeps a candidate point with `s = u^2 + v^2`.
#[inline]
fn polar_accepts(s: f64) -> bool {
    s > 0.0 && s < 1.0
}

/// The factor `f` that turns an accepted candidate `(u, v, s)` into two independent standard
/// normal values `u f` and `v f`.
#[inline]
fn polar_factor(s: f64) -> f64 {
    (-2.0 * s.ln() / s).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix_reference_values() {
        // First outputs of SplitMix64 seeded with 0 (Vigna's reference implementation).
        let mut s = 0_u64;
        assert_eq!(splitmix64(&mut s), 0xE220_A839_7B1D_CDAF);
        assert_eq!(splitmix64(&mut s), 0x6E78_9E6A_A1B9_65F4);
    }

    #[test]
    fn same_seed_same_stream() {
        let mut a = Rng::new(42);
        let mut b = Rng::new(42);
        for _ in 0..1000 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
        assert_ne!(Rng::new(1).next_u64(), Rng::new(2).next_u64());
    }

    #[test]
    fn derived_seeds_differ_by_path() {
        let s = derive_seed(7, &[0, 1]);
        assert_eq!(s, derive_seed(7, &[0, 1]));
        assert_ne!(s, derive_seed(7, &[1, 0]));
        assert_ne!(s, derive_seed(7, &[0]));
        assert_ne!(s, derive_seed(8, &[0, 1]));
    }

    #[test]
    fn fill_normal_is_exactly_repeated_normal_with() {
        // Lengths around the batch size, odd and even, with and without a spare left over
        // from before, and the state afterwards (the next draws and the next spare).
        for (seed, n, spare_first) in [
            (1u64, 0usize, false),
            (2, 1, false),
            (3, 1, true),
            (4, 2, true),
            (5, 127, false),
            (6, 128, true),
            (7, 129, false),
            (8, 1000, true),
            (9, 4097, false),
        ] {
            let (mut a, mut b) = (Rng::new(seed), Rng::new(seed));
            if spare_first {
                a.normal();
                b.normal();
            }
            let want: Vec<f32> = (0..n).map(|_| a.normal_with(0.25, 0.1) as f32).collect();
            let mut got = vec![0f32; n];
            b.fill_normal_f32(&mut got, 0.25, 0.1);
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&got), bits(&want), "seed {seed} n {n}");
            assert_eq!(
                a.normal().to_bits(),
                b.normal().to_bits(),
                "spare after, n {n}"
            );
            assert_eq!(a.next_u64(), b.next_u64(), "stream after, n {n}");
        }
    }

    #[test]
    fn uniform_and_normal_moments() {
        let mut r = Rng::new(3);
        let n = 200_000;
        let (mut su, mut sn, mut sn2) = (0.0, 0.0, 0.0);
        for _ in 0..n {
            su += r.next_f64();
            let z = r.normal();
            sn += z;
            sn2 += z * z;
        }
        let n = n as f64;
        assert!((su / n - 0.5).abs() < 0.005);
        assert!((sn / n).abs() < 0.01);
        assert!((sn2 / n - 1.0).abs() < 0.02);
    }

    #[test]
    fn below_is_in_range_and_covers() {
        let mut r = Rng::new(5);
        let mut seen = [0usize; 7];
        for _ in 0..7000 {
            seen[r.below(7) as usize] += 1;
        }
        assert!(seen.iter().all(|&c| c > 800 && c < 1200), "{seen:?}");
    }

    #[test]
    fn permutation_is_a_permutation() {
        let mut p = Rng::new(9).permutation(1000);
        p.sort_unstable();
        assert_eq!(p, (0..1000).collect::<Vec<u32>>());
    }
}
