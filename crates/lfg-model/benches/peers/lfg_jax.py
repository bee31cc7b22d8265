#!/usr/bin/env python3
"""JAX (CPU, jit) peer of the LFG network in lfg-model, for seconds-per-epoch comparisons.

Same network and training step as the Rust crate: input = the user's rating row over all
items with each observed entry masked to 0 with probability 0.1; Linear -> LeakyReLU(0.01) ->
BatchNorm (batch statistics, running statistics updated with momentum 0.1) ->
(Linear -> LeakyReLU)* -> Linear -> Tanh giving k factors and a bias; prediction
U . M + bu + bi + mu with trainable M and bi; MSE over the observed positions; Adam (lr 1e-3,
betas 0.9/0.999, eps 1e-8). Random sparse ratings with the density of ML-100k / ML-1M.

Prints one JSON line like the Rust `bench_epoch` example.
usage: lfg_jax.py --shape ml-1m --epochs 3 --batch-size 64 --hidden 512,256
"""
import argparse
import json
import os
import time

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402

SHAPES = {"ml-100k": (943, 1682, 100_000), "ml-1m": (6040, 3706, 1_000_209)}


def synthetic(shape, seed):
    nu, ni, n = SHAPES[shape]
    rng = np.random.default_rng(seed)
    per_user = n // nu
    dense = np.zeros((nu, ni), np.float32)
    for u in range(nu):
        items = rng.choice(ni, per_user, replace=False)
        dense[u, items] = rng.integers(1, 6, per_user).astype(np.float32)
    return dense


def init(key, d_in, hidden, k, n_items):
    dims = [d_in] + hidden + [k + 1]
    params = {"layers": []}
    for a, b in zip(dims[:-1], dims[1:]):
        key, kw, kb = jax.random.split(key, 3)
        bound = 1.0 / np.sqrt(a)
        params["layers"].append(
            {
                "w": jax.random.uniform(kw, (a, b), jnp.float32, -bound, bound),
                "b": jax.random.uniform(kb, (b,), jnp.float32, -bound, bound),
            }
        )
    key, km = jax.random.split(key)
    params["gamma"] = jnp.ones(hidden[0])
    params["beta"] = jnp.zeros(hidden[0])
    params["items"] = 0.1 * jax.random.normal(km, (k, n_items), jnp.float32)
    params["item_bias"] = jnp.zeros(n_items)
    state = {"mean": jnp.zeros(hidden[0]), "var": jnp.ones(hidden[0])}
    return params, state


def make_step(k, mu, slope, mask_rate, optimizer):
    def loss_fn(params, state, rows, key):
        observed = (rows != 0).astype(jnp.float32)
        keep = jax.random.bernoulli(key, 1.0 - mask_rate, rows.shape).astype(jnp.float32)
        x = rows * keep
        layers = params["layers"]
        h = jax.nn.leaky_relu(x @ layers[0]["w"] + layers[0]["b"], slope)
        m = h.mean(0)
        v = ((h - m) ** 2).mean(0)
        h = (h - m) / jnp.sqrt(v + 1e-5) * params["gamma"] + params["beta"]
        for layer in layers[1:-1]:
            h = jax.nn.leaky_relu(h @ layer["w"] + layer["b"], slope)
        out = jnp.tanh(h @ layers[-1]["w"] + layers[-1]["b"])
        u, bu = out[:, :k], out[:, k:]
        pred = u @ params["items"] + bu + params["item_bias"][None, :] + mu
        err = (pred - rows) * observed
        loss = (err**2).sum() / jnp.maximum(observed.sum(), 1.0)
        new_state = {
            "mean": 0.9 * state["mean"] + 0.1 * m,
            "var": 0.9 * state["var"] + 0.1 * v,
        }
        return loss, new_state

    @jax.jit
    def step(params, state, opt_state, rows, key):
        (loss, new_state), grads = jax.value_and_grad(loss_fn, has_aux=True)(
            params, state, rows, key
        )
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), new_state, opt_state, loss

    return step


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shape", default="ml-100k", choices=sorted(SHAPES))
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--hidden", default="512,256")
    ap.add_argument("--k", type=int, default=50)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    hidden = [int(h) for h in a.hidden.split(",")]
    dense = synthetic(a.shape, a.seed)
    nu, ni = dense.shape
    mu = float(dense[dense != 0].mean())
    params, state = init(jax.random.PRNGKey(a.seed), ni, hidden, a.k, ni)
    optimizer = optax.adam(1e-3, b1=0.9, b2=0.999, eps=1e-8)
    opt_state = optimizer.init(params)
    step = make_step(a.k, mu, 0.01, 0.1, optimizer)
    data = jnp.asarray(dense)
    rng = np.random.default_rng(a.seed)
    key = jax.random.PRNGKey(a.seed + 1)

    def epoch():
        nonlocal params, state, opt_state, key
        order = rng.permutation(nu)
        loss = None
        # Full batches only: a trailing partial batch would trigger a second compilation.
        for s in range(0, nu - a.batch_size + 1, a.batch_size):
            key, sub = jax.random.split(key)
            rows = data[order[s : s + a.batch_size]]
            params, state, opt_state, loss = step(params, state, opt_state, rows, sub)
        jax.block_until_ready(params)
        return float(loss)

    t0 = time.perf_counter()
    epoch()  # compile + warm-up, not timed
    compile_s = time.perf_counter() - t0
    secs = []
    for _ in range(a.epochs):
        t0 = time.perf_counter()
        epoch()
        secs.append(time.perf_counter() - t0)
    print(
        json.dumps(
            {
                "impl": "jax-" + jax.default_backend(),
                "shape": a.shape,
                "users": nu,
                "items": ni,
                "batch_size": a.batch_size,
                "hidden": hidden,
                "epochs": a.epochs,
                "seconds_per_epoch": round(sum(secs) / len(secs), 4),
                "epoch_seconds": [round(s, 4) for s in secs],
                "warmup_epoch_seconds": round(compile_s, 4),
            }
        )
    )


if __name__ == "__main__":
    main()
