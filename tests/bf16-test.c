/* bf16 weights (kernels/common/bf16-inl.h, the bf16 step kernels, the layer's
 * ARNN_RNN_WEIGHTS_BF16):
 *  - rounding: fixed cases (ties to even, the carry into the exponent, +-0,
 *    +-inf, quiet and signalling NaN of both signs, subnormals, FLT_MAX to
 *    inf), and for every one of the 65536 high halves with low halves around
 *    every rounding boundary, the result against an independent oracle (the
 *    nearer of the two bf16 neighbours in double, ties to the even one); NaN
 *    stays NaN with sign and top payload; widening then narrowing is the
 *    identity on bf16 values. `bf16-test --hash` prints a checksum of the
 *    same inputs' results, which tests/model/test-bf16.py compares with the
 *    converter's Python rounding: C and Python give the same bits.
 *  - the packing: every weight lands where the layout says (rnn-step.h).
 *  - kernels by name on every ISA this CPU runs (under the ARNN_ISA cap): each
 *    bf16 step kernel, LSTM and GRU in both reset modes, H 1..128 (odd H: the
 *    lone last row), nb 1..7 sequences, every recurrent activation, ordinary
 *    and saturating ranges, a bf16 packing 2 bytes off alignment: bit for bit
 *    equal to the scalar float32 kernel run on float32 weights holding the
 *    same bf16 values (so equal to the scalar bf16 kernel too, which is the
 *    bf16 oracle by construction).
 *  - the layer (public API, dispatched kernels): weights = BF16 on float32
 *    weights gives the same bits as weights = F32 on the weights rounded
 *    beforehand (LSTM, GRU both modes, bidirectional, masks, folded and
 *    unfolded ids), and stays within 1e-5 of the float64 Keras reference run
 *    on the rounded weights; an unknown weights value is refused. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arnn/arnn.h"
#include "kernels/common/bf16-inl.h"
#include "rnn-ref.h"
#include "test-util.h"

static int failures;
#include "check.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static uint64_t rng = 0x5eedbf16ULL;

/* ---- rounding ---- */

static uint32_t bits_of(float x) {
  uint32_t u;
  memcpy(&u, &x, sizeof u);
  return u;
}

static float float_of(uint32_t u) {
  float x;
  memcpy(&x, &u, sizeof x);
  return x;
}

/* The low halves tried with every high half: both sides of the halfway point
 * 0x8000, the extremes, and a few in between. */
static const uint16_t lows[] = {0x0000, 0x0001, 0x3FFF, 0x7FFE, 0x7FFF, 0x8000, 0x8001, 0xC000, 0xFFFE, 0xFFFF};

/* Independent oracle: the bf16 value nearest to x (ties to the even bit
 * pattern), computed in double from the two bf16 neighbours of x; beyond the
 * largest finite bf16, IEEE's rule: |x| >= max + half an ulp rounds to inf. */
static uint16_t oracle(uint32_t u) {
  const float x = float_of(u);
  if (isnan(x)) return (uint16_t)((u >> 16) | 0x40);
  if (isinf(x)) return (uint16_t)(u >> 16);
  const uint16_t down = (uint16_t)(u >> 16); /* truncation: toward zero */
  const double xd = x, dd = arnn_f32_from_bf16(down);
  if ((down & 0x7FFF) == 0x7F7F) { /* the largest finite magnitude */
    const double max = 0x1.FEp127, half_ulp = 0x1p119; /* the tie goes up: 0x7F7F is odd */
    return fabs(xd) >= max + half_ulp ? (uint16_t)((u & 0x80000000u) >> 16 | 0x7F80) : down;
  }
  const uint16_t up = (uint16_t)(down + 1);
  const double du = arnn_f32_from_bf16(up);
  const double ed = fabs(xd - dd), eu = fabs(du - xd);
  if (ed < eu) return down;
  if (eu < ed) return up;
  return (down & 1) ? up : down;
}

static void test_rounding(void) {
  static const struct {
    uint32_t in;
    uint16_t out;
  } cases[] = {
      {0x3F800000u, 0x3F80}, /* 1 */
      {0x3F808000u, 0x3F80}, /* 1 + half an ulp: tie, to even (down) */
      {0x3F818000u, 0x3F82}, /* tie above an odd pattern: up to even */
      {0x3F808001u, 0x3F81}, /* just above the tie: up */
      {0x3F807FFFu, 0x3F80}, /* just below: down */
      {0xBF808000u, 0xBF80}, /* the same, negative */
      {0xBF818000u, 0xBF82},
      {0x3FFF8000u, 0x4000}, /* the carry runs into the exponent */
      {0x00000000u, 0x0000}, /* +0, -0 */
      {0x80000000u, 0x8000},
      {0x7F800000u, 0x7F80}, /* +inf, -inf */
      {0xFF800000u, 0xFF80},
      {0x7F7FFFFFu, 0x7F80}, /* FLT_MAX rounds to inf */
      {0xFF7FFFFFu, 0xFF80},
      {0x7F7F7FFFu, 0x7F7F}, /* below the halfway point to inf: largest finite */
      {0x7F7F8000u, 0x7F80}, /* the tie above the odd largest finite: inf */
      {0x7FC00000u, 0x7FC0}, /* quiet NaN */
      {0xFFC00000u, 0xFFC0},
      {0x7F800001u, 0x7FC0}, /* signalling NaN, payload only in the low half: stays NaN */
      {0xFF800001u, 0xFFC0},
      {0x7FA50000u, 0x7FE5}, /* payload kept, quiet bit set */
      {0x7FFFFFFFu, 0x7FFF},
      {0x00008000u, 0x0000}, /* subnormal tie, even: down to +0 */
      {0x00018000u, 0x0002}, /* subnormal tie, odd: up */
      {0x00007FFFu, 0x0000},
      {0x007FFFFFu, 0x0080}, /* largest subnormal rounds up to the smallest normal */
      {0x80008001u, 0x8001},
  };
  for (size_t i = 0; i < COUNT(cases); i++) {
    const uint16_t got = arnn_bf16_from_f32(float_of(cases[i].in));
    CHECK(got == cases[i].out, "bf16(0x%08x) = 0x%04x, want 0x%04x", cases[i].in, got, cases[i].out);
    CHECK(oracle(cases[i].in) == cases[i].out, "oracle(0x%08x) = 0x%04x, want 0x%04x", cases[i].in,
          oracle(cases[i].in), cases[i].out);
  }
  size_t bad = 0;
  for (uint32_t hi = 0; hi < 65536; hi++) {
    for (size_t i = 0; i < COUNT(lows); i++) {
      const uint32_t u = hi << 16 | lows[i];
      const uint16_t got = arnn_bf16_from_f32(float_of(u));
      if (got != oracle(u) && bad++ < 5) fprintf(stderr, "FAIL: bf16(0x%08x) = 0x%04x, oracle 0x%04x\n", u, got, oracle(u));
      if (isnan(float_of(u)) != isnan(arnn_f32_from_bf16(got)) && bad++ < 5)
        fprintf(stderr, "FAIL: bf16(0x%08x) = 0x%04x changes NaN-ness\n", u, got);
    }
    /* a bf16 value widens exactly and narrows back to itself (NaN: quietened) */
    const uint16_t b = (uint16_t)hi, back = arnn_bf16_from_f32(arnn_f32_from_bf16(b));
    const int nan = (b & 0x7FFF) > 0x7F80;
    if (back != (nan ? (uint16_t)(b | 0x40) : b) && bad++ < 5) fprintf(stderr, "FAIL: 0x%04x widened and back = 0x%04x\n", b, back);
    if (bits_of(arnn_f32_from_bf16(b)) != (uint32_t)b << 16 && bad++ < 5) fprintf(stderr, "FAIL: widen 0x%04x\n", b);
    if (!nan && arnn_f32_round_bf16(arnn_f32_from_bf16(b)) != arnn_f32_from_bf16(b) && bad++ < 5)
      fprintf(stderr, "FAIL: round(0x%04x) moved\n", b);
  }
  failures += bad != 0;
  if (bad) fprintf(stderr, "FAIL: %zu rounding mismatches\n", bad);
}

/* The checksum tests/model/test-bf16.py recomputes with the converter's
 * rounding: sum over the inputs u (every high half x the low halves above, in
 * that order) of bf16(u) * (u * 0x9E3779B97F4A7C15 | 1), modulo 2^64. */
static uint64_t rounding_hash(void) {
  uint64_t h = 0;
  for (uint32_t hi = 0; hi < 65536; hi++)
    for (size_t i = 0; i < COUNT(lows); i++) {
      const uint32_t u = hi << 16 | lows[i];
      h += (uint64_t)arnn_bf16_from_f32(float_of(u)) * ((uint64_t)u * 0x9E3779B97F4A7C15ull | 1);
    }
  return h;
}

/* ---- packing ---- */

static void test_packing(void) {
  const size_t Hs[] = {1, 2, 15, 17, 33};
  for (size_t hi = 0; hi < COUNT(Hs); hi++)
    for (size_t G = 1; G <= 4; G++) {
      const size_t H = Hs[hi], Hp = (H + 15) / 16 * 16, Kp = (H + 1) / 2, Gt = 4;
      float *R = malloc(H * Gt * H * sizeof(float));
      for (size_t i = 0; i < H * Gt * H; i++) R[i] = test_rand_uniform(&rng, -2, 2);
      const size_t g0 = Gt - G, n = Hp * Kp * 2 * G;
      uint16_t *w = malloc(n * sizeof *w);
      memset(w, 0xAB, n * sizeof *w);
      arnn_rnn_pack_recurrent_bf16(R, H, Gt, g0, G, w);
      size_t bad = 0;
      for (size_t j = 0; j < Hp / 16; j++)
        for (size_t k = 0; k < 2 * Kp; k++)
          for (size_t g = 0; g < G; g++)
            for (size_t l = 0; l < 16; l++) {
              const size_t u = 16 * j + l;
              const uint16_t want = k < H && u < H ? arnn_bf16_from_f32(R[k * Gt * H + (g0 + g) * H + u]) : 0;
              bad += w[((j * Kp + k / 2) * G + g) * 32 + 2 * l + k % 2] != want;
            }
      CHECK(bad == 0, "pack_recurrent_bf16 H=%zu G=%zu: %zu weights misplaced", H, G, bad);
      free(R);
      free(w);
    }
}

/* ---- kernels ---- */

static int same_state(const test_step_bufs *a, const test_step_bufs *b, size_t nb, size_t Hp) {
  return memcmp(a->ho, b->ho, (nb * Hp + 1) * sizeof(float)) == 0 &&
         memcmp(a->c, b->c, (nb * Hp + 1) * sizeof(float)) == 0;
}

/* cell 0 LSTM, 1 GRU reset_after, 2 GRU reset_before */
static void run_step(int cell, int bf16, size_t i, const arnn_rnn_step_args *a, size_t nb, test_step_bufs *s) {
  if (cell == 0)
    (bf16 ? test_lstm_steps_bf16 : test_lstm_steps)[i].fn(a, nb, s->xpp, s->hp, s->cp, s->hop);
  else
    (bf16 ? test_gru_steps_bf16 : test_gru_steps)[i].fn(a, nb, s->xpp, s->hp, s->hop, s->sp);
}

static void test_kernels(void) {
  /* 264: a bf16 LSTM W_hh above ARNN_RNN_L2_RESIDENT_BYTES, where the
   * AVX-512 kernel's one-sequence tiles take two blocks instead of four */
  const size_t Hs[] = {1, 2, 15, 16, 17, 37, 48, 99, 128, 264};
  const float ranges[2][3] = {{1.0f, 0.8f, 0.3f}, {40.0f, 1.0f, 4.0f}}; /* input, state, weight: ordinary, saturating */
  const size_t n_bf16[3] = {test_lstm_step_bf16_count, test_gru_step_bf16_count, test_gru_step_bf16_count};
  const size_t f32_scalar[3] = {test_lstm_step_count - 1, test_gru_step_count - 1, test_gru_step_count - 1};
  for (size_t hi = 0; hi < COUNT(Hs); hi++)
    for (int cell = 0; cell < 3; cell++)
      for (size_t nb = 1; nb <= 7; nb++)
        for (int ract = 0; ract < 3; ract++)
          for (int sat = 0; sat < 2; sat++) {
            if (Hs[hi] >= 99 && (nb % 3 != 1 || ract == 1)) continue; /* the big sizes: fewer combinations */
            const size_t H = Hs[hi], Hp = (H + 15) / 16 * 16, Kp = (H + 1) / 2, G = cell == 0 ? 4 : 3;
            const float *rg = ranges[sat];
            float *R = malloc(H * G * H * sizeof(float)), *brh = calloc(Hp, sizeof(float));
            for (size_t i = 0; i < H * G * H; i++) R[i] = arnn_f32_round_bf16(test_rand_uniform(&rng, -rg[2], rg[2]));
            for (size_t u = 0; u < H; u++) brh[u] = test_rand_uniform(&rng, -1, 1);
            /* float32 packing of the bf16 values, and the bf16 packing one
             * element past 64-byte alignment (the kernels assume none) */
            float *w = calloc(Hp * H * G, sizeof(float)), *wh = calloc(Hp * H, sizeof(float));
            uint16_t *w16 = calloc(Hp * Kp * 2 * G + 1, sizeof(uint16_t)), *wh16 = calloc(Hp * Kp * 2 + 1, sizeof(uint16_t));
            arnn_rnn_step_args a32 = {.H = H, .Hp = Hp, .ract = ract}, a16 = a32;
            const size_t ng = cell == 2 ? 2 : G;
            arnn_rnn_pack_recurrent(R, H, G, 0, ng, w);
            arnn_rnn_pack_recurrent_bf16(R, H, G, 0, ng, w16 + 1);
            a32.w = w;
            a16.w16 = w16 + 1;
            if (cell == 1) {
              a32.reset_after = a16.reset_after = 1;
              a32.b_rec_h = a16.b_rec_h = brh;
            } else if (cell == 2) {
              arnn_rnn_pack_recurrent(R, H, G, 2, 1, wh);
              arnn_rnn_pack_recurrent_bf16(R, H, G, 2, 1, wh16 + 1);
              a32.w_h = wh;
              a16.w_h16 = wh16 + 1;
            }
            const uint64_t seed = rng;
            test_step_bufs ref, out;
            uint64_t r = seed;
            test_step_bufs_init(&ref, nb, G, H, Hp, rg[0], rg[1], &r);
            run_step(cell, 0, f32_scalar[cell], &a32, nb, &ref);
            for (size_t i = 0; i < n_bf16[cell]; i++) {
              const char *isa = cell == 0 ? test_lstm_steps_bf16[i].isa : test_gru_steps_bf16[i].isa;
              if (!test_isa_available(isa)) continue;
              r = seed;
              test_step_bufs_init(&out, nb, G, H, Hp, rg[0], rg[1], &r);
              run_step(cell, 1, i, &a16, nb, &out);
              CHECK(same_state(&out, &ref, nb, Hp), "%s_step_bf16 %s != f32 scalar on the same values: H=%zu nb=%zu ract=%d sat=%d",
                    cell == 0 ? "lstm" : cell == 1 ? "gru(reset_after)" : "gru(reset_before)", isa, H, nb, ract, sat);
              test_step_bufs_free(&out);
            }
            test_step_bufs_free(&ref);
            free(R);
            free(brh);
            free(w);
            free(wh);
            free(w16);
            free(wh16);
          }
}

/* ---- the layer ---- */

static float *rnd(size_t n, float a) {
  float *p = malloc((n ? n : 1) * sizeof(float));
  for (size_t i = 0; i < n; i++) p[i] = test_rand_uniform(&rng, -a, a);
  return p;
}

static float *rounded_copy(const float *x, size_t n) {
  float *p = malloc(n * sizeof(float));
  for (size_t i = 0; i < n; i++) p[i] = arnn_f32_round_bf16(x[i]);
  return p;
}

static void test_layer(void) {
  const size_t B = 3, T = 11, E = 13, H = 37, V = 50;
  for (int cell = 0; cell < 3; cell++)
    for (int bidir = 0; bidir < 2; bidir++) {
      const int lstm = cell == 0, reset_after = cell == 1;
      const size_t G = lstm ? 4 : 3, D = bidir ? 2 : 1, nb = reset_after ? 2 * G * H : G * H;
      float *k[2], *r[2], *b[2], *kr[2], *rr[2];
      for (size_t d = 0; d < D; d++) {
        k[d] = rnd(E * G * H, 1.0f / sqrtf((float)E));
        r[d] = rnd(H * G * H, 1.0f / sqrtf((float)H));
        b[d] = rnd(nb, 0.5f);
        kr[d] = rounded_copy(k[d], E * G * H);
        rr[d] = rounded_copy(r[d], H * G * H);
      }
      float *x = rnd(B * T * E, 1.5f), *table = rnd(V * E, 1.5f);
      int ids[3 * 11];
      unsigned char mask[3 * 11];
      for (size_t i = 0; i < B * T; i++) {
        ids[i] = (int)(test_rand_uniform(&rng, 0, (float)V - 0.01f));
        mask[i] = (i % T) >= (i / T) * 2; /* front padding of 0, 2, 4 steps */
      }
      arnn_rnn_layer *lay[2][2] = {{NULL, NULL}, {NULL, NULL}}; /* [bf16 option][fold] */
      for (int opt = 0; opt < 2; opt++)
        for (int fold = 0; fold < 2; fold++) {
          arnn_rnn_layer_desc desc;
          arnn_rnn_layer_desc_init(&desc);
          desc.cell = lstm ? ARNN_RNN_LSTM : ARNN_RNN_GRU;
          desc.reset_after = reset_after;
          desc.input_size = E;
          desc.units = H;
          desc.bidirectional = bidir;
          desc.masked_output = ARNN_RNN_MASKED_ZERO;
          desc.weights = opt ? ARNN_RNN_WEIGHTS_BF16 : ARNN_RNN_WEIGHTS_F32;
          for (size_t d = 0; d < D; d++) {
            desc.kernel[d] = opt ? k[d] : kr[d];
            desc.recurrent_kernel[d] = opt ? r[d] : rr[d];
            desc.bias[d] = b[d];
          }
          desc.embedding = table;
          desc.vocab_size = V;
          desc.fold_budget = fold ? (size_t)64 << 20 : 0;
          CHECK(arnn_rnn_layer_create(&desc, &lay[opt][fold]) == ARNN_OK, "layer create cell=%d bf16=%d", cell, opt);
          CHECK(arnn_rnn_layer_is_folded(lay[opt][fold]) == fold, "fold");
        }
      const size_t ny = B * T * D * H;
      float *y[2] = {malloc(ny * sizeof(float)), malloc(ny * sizeof(float))};
      for (int opt = 0; opt < 2; opt++)
        CHECK(arnn_rnn_layer_forward(lay[opt][0], NULL, B, T, x, mask, y[opt]) == ARNN_OK, "forward");
      CHECK(memcmp(y[0], y[1], ny * sizeof(float)) == 0,
            "cell=%d bidir=%d: weights=BF16 differs from F32 on pre-rounded weights", cell, bidir);
      /* float64 Keras reference on the rounded weights */
      ref_rnn ref = {lstm, reset_after, 0, bidir, 1, E, H, {kr[0], bidir ? kr[1] : NULL},
                     {rr[0], bidir ? rr[1] : NULL}, {b[0], bidir ? b[1] : NULL}};
      double *yr = malloc(ny * sizeof(double));
      ref_rnn_forward(&ref, B, T, x, mask, yr);
      double worst = 0;
      for (size_t i = 0; i < ny; i++) {
        const double d = fabs(y[1][i] - yr[i]);
        if (!(d <= worst)) worst = d; /* NaN counts as the worst */
      }
      CHECK(worst <= 1e-5, "cell=%d bidir=%d: bf16 layer vs float64 reference on the rounded weights: %g", cell, bidir,
            worst);
      /* ids: folded and unfolded, bf16 option and pre-rounded, all the same bits */
      float *yi[4];
      for (int v = 0; v < 4; v++) {
        yi[v] = malloc(ny * sizeof(float));
        CHECK(arnn_rnn_layer_forward_ids(lay[v / 2][v % 2], NULL, B, T, ids, mask, yi[v]) == ARNN_OK, "forward_ids");
      }
      for (int v = 1; v < 4; v++)
        CHECK(memcmp(yi[0], yi[v], ny * sizeof(float)) == 0, "cell=%d bidir=%d: ids variant %d differs", cell, bidir,
              v);
      for (int v = 0; v < 4; v++) free(yi[v]);
      for (int opt = 0; opt < 2; opt++)
        for (int fold = 0; fold < 2; fold++) arnn_rnn_layer_destroy(lay[opt][fold]);
      for (size_t d = 0; d < D; d++) {
        free(k[d]);
        free(r[d]);
        free(b[d]);
        free(kr[d]);
        free(rr[d]);
      }
      free(x);
      free(table);
      free(y[0]);
      free(y[1]);
      free(yr);
    }
  /* an unknown weight type is refused */
  arnn_rnn_layer_desc desc;
  arnn_rnn_layer_desc_init(&desc);
  float w1[4 * 1] = {0}, w2[4 * 1] = {0};
  desc.input_size = 1;
  desc.units = 1;
  desc.kernel[0] = w1;
  desc.recurrent_kernel[0] = w2;
  desc.weights = (arnn_rnn_weights_type)2;
  arnn_rnn_layer *l = NULL;
  CHECK(arnn_rnn_layer_create(&desc, &l) == ARNN_ERR_INVALID_ARGUMENT && l == NULL, "weights = 2 accepted");
}

int main(int argc, char **argv) {
  if (argc == 2 && strcmp(argv[1], "--hash") == 0) {
    printf("%016llx\n", (unsigned long long)rounding_hash());
    return 0;
  }
  test_rounding();
  test_packing();
  test_kernels();
  test_layer();
  if (failures) {
    fprintf(stderr, "bf16-test: %d failures (seed 0x5eedbf16)\n", failures);
    return 1;
  }
  printf("bf16-test: ok\n");
  return 0;
}
