//! A small self-contained generator for the bootstrap (this crate depends on no other lfg
//! crate). The algorithms are the ones of `lfg_core::Rng`: xoshiro256++ seeded through
//! SplitMix64, so the stream is fixed by this file and by the seed alone.

#[inline]
pub(crate) fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Child seed for replicate `index` of a computation seeded with `seed`.
pub(crate) fn child_seed(seed: u64, index: u64) -> u64 {
    let mut state = seed ^ 0x6576_616C_0000_0000; // "eval"
    let first = splitmix64(&mut state);
    state ^= index
        .wrapping_mul(0xD1B5_4A32_D192_ED03)
        .wrapping_add(first);
    splitmix64(&mut state)
}

/// xoshiro256++.
#[derive(Clone, Debug)]
pub(crate) struct Xoshiro256pp {
    s: [u64; 4],
}

impl Xoshiro256pp {
    pub(crate) fn new(seed: u64) -> Self {
        let mut sm = seed;
        Self {
            s: [
                splitmix64(&mut sm),
                splitmix64(&mut sm),
                splitmix64(&mut sm),
                splitmix64(&mut sm),
            ],
        }
    }

    #[inline]
    pub(crate) fn next_u64(&mut self) -> u64 {
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

    /// Uniform integer in `[0, n)` for `n >= 1`, by Lemire's multiply-and-reject method
    /// (exactly uniform).
    #[inline]
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        debug_assert!(n > 0);
        let threshold = n.wrapping_neg() % n;
        loop {
            let m = u128::from(self.next_u64()) * u128::from(n);
            if (m as u64) >= threshold {
                return (m >> 64) as u64;
            }
        }
    }
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
    fn below_is_in_range_and_roughly_uniform() {
        let mut rng = Xoshiro256pp::new(7);
        let mut counts = [0_u32; 7];
        for _ in 0..70_000 {
            let v = rng.below(7);
            counts[v as usize] += 1;
        }
        for &c in &counts {
            assert!((9_000..11_000).contains(&c), "{counts:?}");
        }
    }

    #[test]
    fn child_seeds_differ_and_are_stable() {
        assert_ne!(child_seed(1, 0), child_seed(1, 1));
        assert_ne!(child_seed(1, 0), child_seed(2, 0));
        assert_eq!(child_seed(42, 3), child_seed(42, 3));
    }
}
