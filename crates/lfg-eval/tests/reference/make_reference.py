#!/usr/bin/env python3
"""Reference values for crates/lfg-eval/tests/reference.rs, from numpy/scipy.

    pip install numpy scipy
    python crates/lfg-eval/tests/reference/make_reference.py

Prints every value with full precision; the Rust tests hold these numbers (and the same
fixed input vectors) and compare with tolerances. Ranking metrics are computed here by the
explicit textbook formulas (binary gains, log2 discounts, AP@k / min(k, R)) on a small
deterministic data set built from an integer hash that the Rust test reproduces exactly.
"""
import numpy as np
import scipy
import scipy.stats as st


print(f"# numpy {np.__version__}, scipy {scipy.__version__}")

# ---------------------------------------------------------------- rating metrics
PRED = np.array([3.7, 4.1, 2.2, 5.0, 1.3, 3.3, 4.8, 2.9, 3.6, 4.4,
                 1.9, 3.0, 4.2, 2.5, 3.8, 4.9, 1.1, 3.4, 2.7, 4.6], dtype=np.float32)
TRUTH = np.array([4, 4, 3, 5, 1, 2, 5, 3, 4, 5,
                  2, 3, 3, 1, 4, 5, 2, 3, 3, 4], dtype=np.float32)
USERS = np.array([0, 0, 1, 2, 2, 2, 3, 1, 0, 4,
                  4, 4, 4, 5, 1, 3, 5, 0, 2, 4])
e = PRED.astype(np.float64) - TRUTH.astype(np.float64)
print(f"rmse = {np.sqrt(np.mean(e ** 2))}")
print(f"mae = {np.mean(np.abs(e))}")
per_user = [np.sqrt(np.mean(e[USERS == u] ** 2)) for u in np.unique(USERS)]
print(f"per_user_rmse = {np.mean(per_user)}")

# ---------------------------------------------------------------- Student t
DFS = [1, 2, 3, 4, 5, 7, 9, 10, 15, 29, 30, 31, 60, 120, 1000]
PS = [0.9, 0.95, 0.975, 0.995, 0.9995]
print("t_quantiles (df, p, t.ppf):")
for df in DFS:
    for p in PS:
        print(f"    ({float(df)}, {p}, {float(st.t.ppf(p, df))}),")
print("t_cdf (t, df, t.cdf):")
for t, df in [(-3.1, 2), (0.7, 1), (1.96, 5), (2.5, 12), (-0.3, 30), (4.2, 7.5), (1.0, 250)]:
    print(f"    ({float(t)}, {float(df)}, {float(st.t.cdf(t, df))}),")

# ---------------------------------------------------------------- fold stats / paired t
A = np.array([0.8712, 0.8655, 0.8701, 0.8689, 0.8744])
B = np.array([0.8801, 0.8723, 0.8790, 0.8750, 0.8812])
C = np.array([0.9404, 0.9136, 0.9130, 0.9255, 0.9011, 0.9321, 0.9187, 0.9076, 0.9290, 0.9150])
D = np.array([0.9410, 0.9101, 0.9177, 0.9230, 0.9052, 0.9300, 0.9150, 0.9101, 0.9255, 0.9160])
for name, x in [("A", A), ("C", C)]:
    n = len(x)
    m = x.mean()
    s = x.std(ddof=1)
    lo, hi = st.t.interval(0.95, n - 1, loc=m, scale=s / np.sqrt(n))
    print(f"fold_stats {name}: mean={m} std={s} ci95=({lo}, {hi})")
for name, (x, y) in [("A-B", (A, B)), ("C-D", (C, D))]:
    r = st.ttest_rel(x, y)
    d = x - y
    lo, hi = st.t.interval(0.95, len(d) - 1, loc=d.mean(), scale=d.std(ddof=1) / np.sqrt(len(d)))
    print(f"ttest_rel {name}: t={r.statistic} p={r.pvalue} mean_diff={d.mean()} "
          f"ci95=({lo}, {hi})")

# ---------------------------------------------------------------- ranking metrics
N_USERS, N_ITEMS, K, THRESHOLD = 12, 40, 5, 4.0


M64 = (1 << 64) - 1


def h(u, i, salt):
    """SplitMix64 finaliser of a small integer key (reproduced bit-exactly in Rust)."""
    x = u * 1_000_003 + i * 7_919 + salt * 104_729
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & M64
    return x ^ (x >> 31)


precision, recall, ndcg, ap, hit = [], [], [], [], []
recommended = set()
listed = 0
for u in range(N_USERS):
    train = {i for i in range(N_ITEMS) if h(u, i, 1) % 4 == 0}
    test = {i: 1 + h(u, i, 3) % 5 for i in range(N_ITEMS) if h(u, i, 1) % 4 == 1}
    if not test:
        continue
    listed += 1
    score = np.array([h(u, i, 2) % 50 for i in range(N_ITEMS)])  # integer scores, ties
    cand = [i for i in range(N_ITEMS) if i not in train]
    ranked = sorted(cand, key=lambda i: (-score[i], i))[:K]
    recommended.update(ranked)
    rel = {i for i, r in test.items() if r >= THRESHOLD}
    if not rel:
        continue
    gains = np.array([1.0 if i in rel else 0.0 for i in ranked])
    disc = 1.0 / np.log2(np.arange(2, len(ranked) + 2))
    idcg = np.sum(1.0 / np.log2(np.arange(2, min(K, len(rel)) + 2)))
    hits = gains.sum()
    prec_at = np.cumsum(gains) / np.arange(1, len(ranked) + 1)
    precision.append(hits / K)
    recall.append(hits / len(rel))
    ndcg.append(np.sum(gains * disc) / idcg)
    ap.append(np.sum(prec_at * gains) / min(K, len(rel)))
    hit.append(1.0 if hits > 0 else 0.0)
print(f"ranking: listed={listed} evaluated={len(precision)} recommended={len(recommended)}")
print(f"    precision={np.mean(precision)} recall={np.mean(recall)}")
print(f"    ndcg={np.mean(ndcg)} map={np.mean(ap)} hit={np.mean(hit)}")
print(f"    coverage={len(recommended) / N_ITEMS}")
