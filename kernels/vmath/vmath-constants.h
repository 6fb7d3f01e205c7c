/* Constants shared by every ISA's tanh / exp / sigmoid kernels.
 *
 * All ISAs evaluate exactly the same sequence of IEEE-754 binary32 operations
 * (fused multiply-add wherever a multiply feeds an add, true division), so the
 * scalar kernels are a bit-exact oracle for the SIMD ones. Changing a constant
 * here changes every ISA at once; the exhaustive test re-establishes the error
 * bound. Polynomial coefficients come from tools/fit-vmath-coeffs.py
 * (near-minimax relative error, rounded to binary32). */
#ifndef ARNN_KERNELS_VMATH_CONSTANTS_H
#define ARNN_KERNELS_VMATH_CONSTANTS_H

/* 1.5 * 2^23: adding it to |v| < 2^22 rounds v to the nearest integer, which
 * then sits in the low mantissa bits (round-to-nearest-even, no float->int
 * conversion needed, identical on every ISA). */
#define ARNN_VMATH_ROUND_MAGIC 0x1.8p23f
/* Same, biased by the binary32 exponent bias so that (bits << 23) is 2^n. */
#define ARNN_VMATH_ROUND_MAGIC_BIASED 0x1.8000fep23f /* 1.5*2^23 + 127 */

#define ARNN_VMATH_LOG2E 0x1.715476p+0f
/* Cody-Waite split of ln 2: LN2_HI has 16 significant bits so n*LN2_HI is
 * exact for |n| < 2^8; LN2_HI + LN2_LO = ln 2 to about 2^-48. */
#define ARNN_VMATH_LN2_HI 0x1.62e4p-1f
#define ARNN_VMATH_LN2_LO 0x1.7f7d1cp-20f

/* ---- exp(x) = 2^n T_k (1 + s) ----
 * x log2 e is rounded to a multiple of 1/16: nq = n + k/16 (n = floor(nq),
 * 0 <= k < 16), r = x - nq ln2 in [-ln2/32, ln2/32] (two-constant Cody-Waite),
 * T_k = 2^(k/16) from a 16-entry table (read with an in-register permute on
 * every SIMD ISA), s = expm1(r) = r + r^2 (C2 + C3 r): e^r with max relative
 * error 2^-29.2 on |r| <= 1.002 ln2/32 (tools/fit-vmath-coeffs.py), so the
 * result is T_k + T_k s rounded once (one FMA), then scaled by 2^n exactly. */
#define ARNN_VEXP_C3 0x1.55559ap-3f
#define ARNN_VEXP_C2 0x1.00022p-1f
/* 1.5 * 2^19: adding it to |v| < 2^18 rounds v to a multiple of 1/16, whose
 * sixteenths (16 nq) then sit in the low mantissa bits: the table index k in
 * the low 4 bits, n = floor(nq) above them. */
#define ARNN_VEXP_ROUND_MAGIC16 0x1.8p19f
/* 2^(k/16), k = 0..15, rounded to binary32 (relative error <= 2^-24.3). */
static const float arnn_vexp_table16[16] = {
    0x1.000000p+0f, 0x1.0b5586p+0f, 0x1.172b84p+0f, 0x1.2387a6p+0f, 0x1.306fe0p+0f, 0x1.3dea64p+0f,
    0x1.4bfdaep+0f, 0x1.5ab07ep+0f, 0x1.6a09e6p+0f, 0x1.7a1148p+0f, 0x1.8ace54p+0f, 0x1.9c4918p+0f,
    0x1.ae89fap+0f, 0x1.c199bep+0f, 0x1.d5818ep+0f, 0x1.ea4afap+0f};
/* |x| is clamped to 104 (sign kept): below -104 every result rounds to +0
 * (e^-104 < 2^-150), above ln FLT_MAX = 88.7228 every result overflows; the
 * clamp keeps n within [-151, 150], where 2^n splits into two normal factors,
 * and maps +-inf to the saturated results. */
#define ARNN_VEXP_CLAMP 104.0f

/* The degree-6 expm1 polynomial of sigmoid's reduction (no table):
 * e^r = 1 + s, s = r + r^2 Q(r), Q of degree 4 (coefficients of r^2 .. r^6),
 * max relative error 2^-27.6 on |r| <= 1.01 ln2/2. */
#define ARNN_VEXP_Q4 0x1.6a1a4ep-10f
#define ARNN_VEXP_Q3 0x1.123fc2p-7f
#define ARNN_VEXP_Q2 0x1.555916p-5f
#define ARNN_VEXP_Q1 0x1.55548ap-3f
#define ARNN_VEXP_Q0 0x1.fffffcp-2f

/* ---- tanh(x) = sign(x) * expm1(2a) / (expm1(2a) + 2), a = |x| ----
 * expm1(2a) = 2^n (1 + expm1(2r)) - 1 with n = floor(2a log2 e) and
 * r = a - n ln2/2 in [0, ln2/2]: every term is >= 0, so nothing cancels.
 * expm1(2r) = 2r + r^2 Q(r); Q degree 4, max relative error 2^-25.6. */
#define ARNN_VTANH_Q4 0x1.e95d9ap-4f
#define ARNN_VTANH_Q3 0x1.04980ap-2f
#define ARNN_VTANH_Q2 0x1.566d32p-1f
#define ARNN_VTANH_Q1 0x1.554acep+0f
#define ARNN_VTANH_Q0 0x1.00002p+1f
/* The kernels evaluate h = expm1(2r)/2 = r + r^2 (Q(r)/2) directly: halving
 * every coefficient is exact, so each Horner step and the final FMA give
 * exactly half of the unhalved values (no intermediate is subnormal unless r
 * is, and then h = r exactly either way). This saves the 2r addition and the
 * final halving u = m/2 (see vtanh-scalar.c). */
#define ARNN_VTANH_HQ4 (0.5f * ARNN_VTANH_Q4)
#define ARNN_VTANH_HQ3 (0.5f * ARNN_VTANH_Q3)
#define ARNN_VTANH_HQ2 (0.5f * ARNN_VTANH_Q2)
#define ARNN_VTANH_HQ1 (0.5f * ARNN_VTANH_Q1)
#define ARNN_VTANH_HQ0 (0.5f * ARNN_VTANH_Q0)
/* tanh(a) rounds to 1 for a > 9.011 (1 - tanh(a) < 2^-25); clamping there
 * keeps n <= 26 and maps +inf to 1. */
#define ARNN_VTANH_HI 9.1f
/* tanh = u/(1+u) is refined as u(1 - q0) below this u (see vtanh-scalar.c). */
#define ARNN_VTANH_CORRECT_BELOW 0.5f
#define ARNN_VTANH_2LOG2E 0x1.715476p+1f
/* floor(v) as round(v + ROUND_DOWN): slightly above -1/2 so that v = 0 is not a
 * tie (a tie would round to even, i.e. to -1 with the odd biased magic); the
 * reduced argument may then dip to -0.0027, inside the fitted interval. */
#define ARNN_VTANH_ROUND_DOWN -0x1.f8p-2f /* -0.4921875 */
#define ARNN_VTANH_LN2_HI_HALF 0x1.62e4p-2f
#define ARNN_VTANH_LN2_LO_HALF 0x1.7f7d1cp-21f

/* ---- sigmoid(x) = 1 / (1 + e^w), w = -x clamped to [LO, -LO], with
 * e^w = 2^n (1 + s) from the exp kernel's reduction and polynomial.
 * LO is the float just above ln(FLT_MIN): |n| <= 126, so 2^n is a normal float
 * built from bits and 1 + e^w never overflows. For x < LO every result is
 * below FLT_MIN and is flushed to zero, as the contract allows; for x > -LO
 * the result rounds to 1 anyway. ---- */
#define ARNN_VSIGMOID_LO -0x1.5d589ep+6f /* -87.33654 */

#endif
