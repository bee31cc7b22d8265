#!/usr/bin/env python3
"""Surprise's SVD(biased=False), SVD() and SVDpp() on one ML-100k split.

Hyperparameters (same as examples/compare.rs):
  SVD(biased=False) and SVD(): n_factors=50, n_epochs=20, lr_all=0.005, reg_all=0.02,
                               init_mean=0, init_std_dev=0.1
  SVDpp():                     n_factors=20, n_epochs=20, lr_all=0.007, reg_all=0.02,
                               init_mean=0, init_std_dev=0.1
Prints `impl model seed rmse fit_wall_seconds fit_cpu_seconds` lines (tab separated; CPU
time of this thread, robust to a loaded machine).

usage: surprise_compare.py <ml-100k dir> [u1] [seeds] [svdpp_seeds]
"""
import os
import sys
import time

from surprise import SVD, Dataset, Reader, SVDpp, accuracy
from surprise.model_selection import PredefinedKFold


def main():
    d = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.environ.get("LFG_DATA_DIR", "data"), "ml-100k")
    split = sys.argv[2] if len(sys.argv) > 2 else "u1"
    seeds = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    pp_seeds = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    reader = Reader(line_format="user item rating timestamp", sep="\t", rating_scale=(1, 5))
    data = Dataset.load_from_folds(
        [(os.path.join(d, f"{split}.base"), os.path.join(d, f"{split}.test"))], reader=reader
    )
    trainset, testset = next(PredefinedKFold().split(data))
    models = [
        ("svd", lambda s: SVD(n_factors=50, n_epochs=20, biased=False, lr_all=0.005, reg_all=0.02, random_state=s), seeds),
        ("bias-svd", lambda s: SVD(n_factors=50, n_epochs=20, biased=True, lr_all=0.005, reg_all=0.02, random_state=s), seeds),
        ("svd-pp", lambda s: SVDpp(n_factors=20, n_epochs=20, lr_all=0.007, reg_all=0.02, random_state=s), pp_seeds),
    ]
    for name, make, n in models:
        for seed in range(n):
            algo = make(seed)
            t0, c0 = time.perf_counter(), time.thread_time()
            algo.fit(trainset)
            secs, cpu = time.perf_counter() - t0, time.thread_time() - c0
            rmse = accuracy.rmse(algo.test(testset), verbose=False)
            print(f"surprise\t{name}\t{seed}\t{rmse:.5f}\t{secs:.4f}\t{cpu:.4f}", flush=True)


if __name__ == "__main__":
    main()
