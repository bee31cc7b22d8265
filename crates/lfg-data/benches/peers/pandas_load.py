#!/usr/bin/env python3
"""Peer benchmark: pandas read_csv of ML-1M ratings.dat (the file lfg-data loads).

Usage: pandas_load.py <data_dir> [repeats]. Prints one line per method:
  pandas <method> <best seconds> <median seconds> <rows>
Methods:
  python-engine  read_csv(sep='::', engine='python')   (the usual way; slow)
  c-engine-colon read_csv(sep=':', engine='c') and keep every other column (the `::` trick)
"""
import statistics
import sys
import time

import pandas as pd


def python_engine(path, n_cols):
    return pd.read_csv(path, sep="::", engine="python", header=None,
                       names=["user", "item", "rating", "timestamp"][:n_cols])


def c_engine_colon(path, n_cols):
    # 'a::b::c' split on ':' gives a, '', b, '', c: keep columns 0, 2, 4 (, 6)
    keep = list(range(0, 2 * n_cols - 1, 2))
    df = pd.read_csv(path, sep=":", engine="c", header=None, usecols=keep)
    df.columns = ["user", "item", "rating", "timestamp"][:n_cols]
    return df


def main():
    data_dir = sys.argv[1]
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    path = f"{data_dir}/ml-1m/ratings.dat"
    with open(path) as f:
        n_cols = f.readline().count("::") + 1
    for name, fn in [("python-engine", python_engine), ("c-engine-colon", c_engine_colon)]:
        times = []
        rows = 0
        for _ in range(repeats):
            t = time.perf_counter()
            df = fn(path, n_cols)
            times.append(time.perf_counter() - t)
            rows = len(df)
        print(f"pandas {name} {min(times):.4f} {statistics.median(times):.4f} {rows}")


if __name__ == "__main__":
    main()
