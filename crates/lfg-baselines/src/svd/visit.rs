//! The order SGD visits the training ratings in: `(user, item, rating)` rows shuffled per
//! epoch, or users shuffled per epoch with each user's ratings in file order.

use lfg_core::Triplets;

use crate::common::{epoch_rng, shuffle};

/// The training ratings in file order, packed once per fit for the shuffled order.
///
/// When the user index, the item index and the index of the rating in the table of distinct
/// rating values fit together in 32 bits (ML-100k needs 10 + 11 + 3), each rating is one
/// `u32` (`user | item | rating code`, high bits to low): an epoch's shuffle then moves a
/// third of the bytes, and the permutation and the decoded ratings are exactly those of the
/// `(user, item, rating)` rows. Otherwise the rows are kept as they are.
pub(crate) enum Visits {
    /// One code per rating and the codec that decodes it.
    Packed(Vec<u32>, Box<Codec>),
    /// `(user, item, rating)` rows.
    Wide(Vec<(u32, u32, f32)>),
}

/// Decodes the `u32` of [`Visits::Packed`].
#[derive(Clone, Debug)]
pub(crate) struct Codec {
    user_shift: u32,
    item_shift: u32,
    item_mask: u32,
    rating_mask: u32,
    ratings: [f32; 256],
}

/// Bits that hold the values `0..count` (0 for a single value).
fn bits_for(count: usize) -> u32 {
    (count.max(1) - 1).checked_ilog2().map_or(0, |b| b + 1)
}

impl Codec {
    /// `(user, item, rating)` of `code`.
    #[inline(always)]
    pub(crate) fn decode(&self, code: u32) -> (u32, u32, f32) {
        (
            code >> self.user_shift,
            (code >> self.item_shift) & self.item_mask,
            self.ratings[usize::from((code & self.rating_mask) as u8)],
        )
    }
}

impl Visits {
    /// Packs `train` (see [`Visits`]).
    pub(crate) fn pack(train: &Triplets) -> Self {
        let Some(RatingCodes { values, code }) = RatingCodes::of(&train.rating) else {
            return Self::Wide(pack_rows(train));
        };
        let user_bits = bits_for(train.n_users as usize).max(1);
        let item_bits = bits_for(train.n_items as usize);
        let rating_bits = bits_for(values.len());
        if user_bits + item_bits + rating_bits > 32 {
            return Self::Wide(pack_rows(train));
        }
        let mut ratings = [0f32; 256];
        for (slot, &v) in ratings.iter_mut().zip(&values) {
            *slot = f32::from_bits(v);
        }
        let codec = Codec {
            user_shift: item_bits + rating_bits,
            item_shift: rating_bits,
            item_mask: (1u32 << item_bits) - 1,
            rating_mask: (1u32 << rating_bits) - 1,
            ratings,
        };
        let codes = (train.user.iter().zip(&train.item).zip(&code))
            .map(|((&u, &i), &c)| (u << codec.user_shift) | (i << codec.item_shift) | u32::from(c))
            .collect();
        Self::Packed(codes, Box::new(codec))
    }
}

/// The distinct rating values (as bits, in first-seen order) and each rating's index among
/// them.
struct RatingCodes {
    values: Vec<u32>,
    code: Vec<u8>,
}

impl RatingCodes {
    /// One pass with a small open-addressing table; `None` when there are more than 256
    /// distinct values (rating scales have a handful).
    fn of(ratings: &[f32]) -> Option<Self> {
        const SLOTS: usize = 1024;
        // Slot -> index into `values` + 1 (0: empty).
        let mut table = [0u16; SLOTS];
        let mut values: Vec<u32> = Vec::new();
        let mut code = Vec::with_capacity(ratings.len());
        for r in ratings {
            let b = r.to_bits();
            let mut slot = (b.wrapping_mul(0x9E37_79B1) >> 22) as usize % SLOTS;
            let idx = loop {
                match table[slot] {
                    0 => {
                        if values.len() == 256 {
                            return None;
                        }
                        values.push(b);
                        table[slot] = values.len() as u16;
                        break values.len() - 1;
                    }
                    t if values[usize::from(t) - 1] == b => break usize::from(t) - 1,
                    _ => slot = (slot + 1) % SLOTS,
                }
            };
            code.push(idx as u8);
        }
        Some(Self { values, code })
    }
}

/// `rows` in the shuffled order of `epoch`: `seq[t] = rows[order[t]]` for the `order` of
/// [`crate::common::epoch_order`]`(rows.len(), seed, epoch)`. The same swaps, made on the
/// rows themselves, so the epoch then reads its ratings front to back.
pub(crate) fn shuffled<T: Copy>(seq: &mut Vec<T>, rows: &[T], seed: u64, epoch: usize) {
    seq.clear();
    seq.extend_from_slice(rows);
    shuffle(&mut epoch_rng(seed, epoch), seq);
}

/// The training ratings as `(user, item, rating)` rows, in file order.
pub(crate) fn pack_rows(train: &Triplets) -> Vec<(u32, u32, f32)> {
    train
        .user
        .iter()
        .zip(&train.item)
        .zip(&train.rating)
        .map(|((&u, &i), &r)| (u, i, r))
        .collect()
}

/// Training ratings grouped by user, packed once per fit: user `users[j]` has the ratings
/// `ratings[start[j]..start[j + 1]]` as `(item, rating)`, in training-file order.
pub(crate) struct ByUser {
    pub users: Vec<u32>,
    pub start: Vec<u32>,
    pub ratings: Vec<(u32, f32)>,
}

impl ByUser {
    /// Counting sort of `train` by user (stable, so file order within a user); users with no
    /// rating are left out.
    pub(crate) fn pack(train: &Triplets) -> Self {
        let mut count = vec![0u32; train.n_users as usize + 1];
        for &u in &train.user {
            count[u as usize + 1] += 1;
        }
        let users: Vec<u32> = (0..train.n_users)
            .filter(|&u| count[u as usize + 1] > 0)
            .collect();
        for u in 0..train.n_users as usize {
            count[u + 1] += count[u];
        }
        let start: Vec<u32> = users
            .iter()
            .map(|&u| count[u as usize])
            .chain(std::iter::once(count[train.n_users as usize]))
            .collect();
        let mut next = count;
        let mut ratings = vec![(0u32, 0f32); train.len()];
        for ((&u, &i), &r) in train.user.iter().zip(&train.item).zip(&train.rating) {
            let slot = &mut next[u as usize];
            ratings[*slot as usize] = (i, r);
            *slot += 1;
        }
        Self {
            users,
            start,
            ratings,
        }
    }

    /// User `users[j]` and its ratings.
    #[inline(always)]
    pub(crate) fn run(&self, j: usize) -> (usize, &[(u32, f32)]) {
        let (a, b) = (self.start[j] as usize, self.start[j + 1] as usize);
        (self.users[j] as usize, &self.ratings[a..b])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::common::random_triplets;

    fn triplets(n_users: u32, n_items: u32, ratings: &[f32], n: usize) -> Triplets {
        random_triplets(5, (n_users, n_items), n, |row, _| {
            ratings[row % ratings.len()]
        })
    }

    #[test]
    fn packed_codes_decode_to_the_rows_and_shuffle_the_same_way() {
        for (n_users, n_items, ratings) in [
            (943u32, 1682u32, &[1.0f32, 2.0, 3.0, 4.0, 5.0][..]),
            (1, 1, &[3.5][..]),
            (
                6040,
                3706,
                &[0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0][..],
            ),
            (1 << 20, 1 << 11, &[1.0, 2.0][..]),
        ] {
            let t = triplets(n_users, n_items, ratings, 500);
            let rows = pack_rows(&t);
            let Visits::Packed(codes, codec) = Visits::pack(&t) else {
                panic!("{n_users} x {n_items} fits in 32 bits");
            };
            let decoded: Vec<_> = codes.iter().map(|&c| codec.decode(c)).collect();
            assert_eq!(decoded, rows);
            let (mut a, mut b) = (Vec::new(), Vec::new());
            shuffled(&mut a, &codes, 3, 2);
            shuffled(&mut b, &rows, 3, 2);
            let a: Vec<_> = a.iter().map(|&c| codec.decode(c)).collect();
            assert_eq!(a, b, "the same permutation");
        }
    }

    #[test]
    fn wide_when_the_codes_do_not_fit() {
        // 2^21 users and 2^11 items need 32 bits before the rating code.
        let t = triplets(1 << 21, 1 << 11, &[1.0, 2.0], 50);
        assert!(matches!(Visits::pack(&t), Visits::Wide(_)));
        // More than 256 distinct ratings.
        let many: Vec<f32> = (0..300).map(|x| 1.0 + x as f32 / 100.0).collect();
        let t = triplets(10, 10, &many, 400);
        assert!(matches!(Visits::pack(&t), Visits::Wide(r) if r == pack_rows(&t)));
        // 256 distinct ratings still get codes.
        let t = triplets(10, 10, &many[..256], 400);
        assert!(matches!(Visits::pack(&t), Visits::Packed(..)));
        let c = RatingCodes::of(&[2.0, 1.0, 2.0, 2.0, 3.0, 1.0]).expect("3 values");
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(c.values, bits(&[2.0, 1.0, 3.0]));
        assert_eq!(c.code, [0, 1, 0, 0, 2, 1]);
        assert!(RatingCodes::of(&many[..257]).is_none());
        assert!(RatingCodes::of(&many[..256]).is_some_and(|c| c.values.len() == 256));
        assert_eq!(bits_for(1), 0);
        assert_eq!(bits_for(2), 1);
        assert_eq!(bits_for(5), 3);
        assert_eq!(bits_for(943), 10);
        assert_eq!(bits_for(1024), 10);
        assert_eq!(bits_for(1025), 11);
    }
}
