#!/usr/bin/env python3
# Fits the polynomial coefficients used by kernels/vmath/ (needs numpy: run with
# /usr/bin/python3, Debian's interpreter). Near-minimax relative error through
# Lawson's iteratively reweighted least squares on a dense grid, in float64; the
# coefficients are then rounded to float32 and the achieved error re-measured.
# The rounded values are pasted into kernels/vmath/vmath-constants.h; the
# exhaustive tests (tests/vmath-exhaustive) are the final word on accuracy.
import numpy as np

def lawson(basis, target, weight, x, iters=200):
    """min over c of max |weight*(basis(x) c - target)|; returns c (float64)."""
    A = basis(x) * weight[:, None]
    b = target * weight
    w = np.ones_like(x) / len(x)
    for _ in range(iters):
        sw = np.sqrt(w)
        c, *_ = np.linalg.lstsq(A * sw[:, None], b * sw, rcond=None)
        err = np.abs(A @ c - b)
        w = w * err
        w /= w.sum()
    return c

def report(name, c, f32_eval, ref, x):
    c32 = np.float32(c)
    rel = np.max(np.abs(f32_eval(c32.astype(np.float64), x) - ref) / np.abs(ref))
    print(f"{name}: max rel err with float32 coefficients {rel:.3e} (2^{np.log2(rel):.2f})")
    for i, v in enumerate(c32):
        print(f"  c{i} = {float(v).hex()}f  /* {float(v):.9g} */")

LN2 = np.log(2.0)

# exp (table form): e^r = 1 + s, s = r + r^2 (C2 + C3 r) on |r| <= ln2/32
# (+ slack), the reduced argument left after 2^(k/16) is taken from the table;
# error relative to e^r.
x = np.linspace(-LN2 / 32 * 1.002, LN2 / 32 * 1.002, 40001)
x = x[np.abs(x) > 1e-9]
basis = lambda x: np.stack([x ** i for i in range(2)], axis=1)
c = lawson(basis, (np.expm1(x) - x) / x ** 2, x ** 2 / np.exp(x), x, iters=300)
report("exp table form (C2, C3)", c, lambda c, x: 1 + x + x ** 2 * (basis(x) @ c), np.exp(x), x)
print("exp table: 2^(k/16) rounded to binary32")
for k in range(16):
    v = np.float32(2.0 ** (k / 16))
    print(f"  T{k} = {float(v).hex()}f  /* relative error {abs(float(v) / 2.0 ** (k / 16) - 1):.2e} */")

# sigmoid's expm1 (no table): e^r = 1 + s, s = r + r^2 Q(r) on [-ln2/2, ln2/2]
# (+ slack for the rounding of n); Q of degree D (coefficients c2..c(D+2)),
# error relative to e^r.
for D in (4, 5):
    x = np.linspace(-LN2 / 2 * 1.01, LN2 / 2 * 1.01, 20001)
    x = x[np.abs(x) > 1e-6]
    target = (np.expm1(x) - x) / x ** 2
    weight = x ** 2 / np.exp(x)
    basis = lambda x: np.stack([x ** i for i in range(D + 1)], axis=1)
    c = lawson(basis, target, weight, x)
    report(f"exp Q degree {D} (c2..)", c, lambda c, x: 1 + x + x ** 2 * (basis(x) @ c), np.exp(x), x)

# tanh: expm1(2r) = 2r + r^2 Q(r) on r in [0, ln2/2] (+ slack), Q of degree D.
for D in (4, 5, 6):
    x = np.linspace(-0.004, LN2 / 2 * 1.01, 20001)
    x = x[np.abs(x) > 1e-6]
    target = (np.expm1(2 * x) - 2 * x) / x ** 2
    weight = x ** 2 / np.abs(np.expm1(2 * x))
    basis = lambda x: np.stack([x ** i for i in range(D + 1)], axis=1)
    c = lawson(basis, target, weight, x)
    report(f"tanh expm1 Q degree {D}", c, lambda c, x: 2 * x + x ** 2 * (basis(x) @ c), np.expm1(2 * x), x)
