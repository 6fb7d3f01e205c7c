/* Recurrent-layer kernels (input-projection GEMM, fused LSTM and GRU steps)
 * called by name on every ISA this CPU runs (under the ARNN_ISA cap):
 *  - bit for bit against their scalar twins (the scalar kernels are the exact
 *    oracles; the layer tests check them against the double reference);
 *  - GEMM also against a double reference (|err| <= 1e-5 relative to the sum
 *    of |terms|, a bound on float accumulation for K <= 300);
 *  - sizes around the 8/16 lane widths and the register tiles: M 0..19,
 *    K 0..37, N 16..80; H 1, 15, 16, 17, 37, 48, 64, 90, 100 (the batch-1
 *    tiles of four blocks and their two- and one-block rests); nb 1..7 sequences;
 *    unaligned pointers; inputs that saturate every gate; every recurrent
 *    activation; GRU in both reset modes;
 *  - projection pieces computed beside a one-sequence step (test_side_pieces). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/gemm/gemm.h"
#include "test-util.h"

static int failures;
#include "check.h"

typedef struct {
  const char *isa;
  arnn_f32_gemm_fn fn;
} gemm_kernel;
#define ARNN_KERNEL(op, isa, arch) {#isa, arnn_f32_##op##__##isa},
static const gemm_kernel gemms[] = {
#include "kernels/gemm/f32-gemm.inc"
};
#undef ARNN_KERNEL

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static uint64_t rng = 0x5eed0003ULL;

static float *rand_buf(size_t n, float lo, float hi) {
  float *p = malloc((n + 1) * sizeof(float));
  for (size_t i = 0; i < n + 1; i++) p[i] = test_rand_uniform(&rng, lo, hi);
  return p;
}

static int same(const float *a, const float *b, size_t n) { return memcmp(a, b, n * sizeof(float)) == 0; }

static void test_gemm(void) {
  const size_t Ns[] = {16, 32, 48, 80};
  /* small shapes, then shapes that cross the AVX-512 cache blocks: K blocks
   * of 1024 (two and three of them, the last one short), groups of panels
   * (12 at K = 1024, 24 at K = 512, a last group of one panel), row blocks of
   * 32, tiles of 8 rows x 3 panels */
  size_t shapes[20 * 4 * 8 + 9][3], ns = 0;
  for (size_t Mi = 0; Mi < 20; Mi++)
    for (size_t ni = 0; ni < COUNT(Ns); ni++)
      for (size_t K = 0; K <= 37; K += (K < 3 ? 1 : 7)) {
        shapes[ns][0] = Mi;
        shapes[ns][1] = Ns[ni];
        shapes[ns++][2] = K;
      }
  const size_t big[9][3] = {{137, 48, 800}, {9, 32, 385}, {130, 16, 384}, {3, 80, 1024}, {40, 400, 1024},
                            {33, 208, 1100}, {17, 112, 2100}, {9, 784, 512}, {70, 224, 1025}};
  for (size_t i = 0; i < COUNT(big); i++) memcpy(shapes[ns++], big[i], sizeof big[i]);
  for (size_t si = 0; si < ns; si++) {
        const size_t M = shapes[si][0], N = shapes[si][1], K = shapes[si][2], lda = K + 3, ldc = N + 5;
        /* +1 float offsets: unaligned A, B, bias and C */
        float *A = rand_buf(M * lda + 1, -2, 2), *B = rand_buf(N * K + 1, -1, 1), *bias = rand_buf(N + 1, -1, 1);
        float *ref = calloc(M * ldc + 1, sizeof(float)), *out = calloc(M * ldc + 1, sizeof(float));
        gemms[COUNT(gemms) - 1].fn(M, N, K, A + 1, lda, B + 1, bias + 1, ref + 1, ldc);
        for (size_t m = 0; m < M; m++)
          for (size_t n = 0; n < N; n++) {
            double s = bias[1 + n], mag = fabs(s);
            for (size_t k = 0; k < K; k++) {
              const double t = (double)A[1 + m * lda + k] * B[1 + (n / 16) * K * 16 + k * 16 + n % 16];
              s += t;
              mag += fabs(t);
            }
            CHECK(fabs(ref[1 + m * ldc + n] - s) <= 1e-5 * (mag + 1e-30), "gemm scalar M=%zu N=%zu K=%zu (%zu,%zu)", M, N, K,
                  m, n);
          }
        for (size_t i = 0; i + 1 < COUNT(gemms); i++) {
          if (!test_isa_available(gemms[i].isa)) continue;
          memset(out, 0, (M * ldc + 1) * sizeof(float));
          gemms[i].fn(M, N, K, A + 1, lda, B + 1, bias + 1, out + 1, ldc);
          CHECK(same(out, ref, M * ldc + 1), "gemm %s != scalar: M=%zu N=%zu K=%zu", gemms[i].isa, M, N, K);
        }
        free(A);
        free(B);
        free(bias);
        free(ref);
        free(out);
      }
}

static float *packed_weights(size_t H, size_t Hp, size_t G, float wr) {
  float *w = calloc(Hp * H * G + 1, sizeof(float));
  for (size_t j = 0; j < Hp / 16; j++)
    for (size_t k = 0; k < H; k++)
      for (size_t g = 0; g < G; g++)
        for (size_t l = 0; l < 16; l++)
          if (j * 16 + l < H) w[1 + ((j * H + k) * G + g) * 16 + l] = test_rand_uniform(&rng, -wr, wr);
  return w;
}

/* The group-interleaved copy (kernels/rnn/rnn-step.h) of packed weights w
 * (its own allocation, NULL-free: w1 + 1 is 4-byte but not 64-byte aligned,
 * like w + 1). */
static float *grouped_copy(const float *w, size_t H, size_t Hp, size_t G) {
  float *w1 = calloc(Hp * H * G + 1, sizeof(float));
  arnn_rnn_pack_grouped(w, H, Hp, G, w1 + 1);
  return w1;
}

/* The grouped layout against its definition, written out here: blocks in
 * fours, the last group holding the rest, k-rows interleaved in a group. */
static void test_pack_grouped(void) {
  const size_t Hs[] = {1, 16, 17, 48, 64, 65, 100, 128};
  for (size_t hi = 0; hi < COUNT(Hs); hi++)
    for (size_t G = 1; G <= 4; G++) {
      const size_t H = Hs[hi], Hp = (H + 15) / 16 * 16, blocks = Hp / 16, n = Hp * H * G;
      float *w = malloc(n * sizeof(float)), *w1 = malloc(n * sizeof(float));
      for (size_t i = 0; i < n; i++) w[i] = (float)i;
      arnn_rnn_pack_grouped(w, H, Hp, G, w1);
      int bad = 0;
      for (size_t j = 0; j < blocks; j++) {
        const size_t group = j / 4, in_group = blocks - 4 * group < 4 ? blocks - 4 * group : 4;
        for (size_t k = 0; k < H; k++)
          for (size_t g = 0; g < G; g++)
            for (size_t l = 0; l < 16; l++) {
              const size_t at = ((4 * group * H + k * in_group + j % 4) * G + g) * 16 + l;
              bad += w1[at] != w[((j * H + k) * G + g) * 16 + l];
            }
      }
      CHECK(bad == 0, "grouped layout: %d misplaced floats, H=%zu G=%zu", bad, H, G);
      free(w);
      free(w1);
    }
}

static void test_steps(void) {
  const size_t Hs[] = {1, 15, 16, 17, 37, 48, 64, 90, 100};
  /* (input range, state range, weight range): ordinary, then saturating */
  const float ranges[2][3] = {{1.0f, 0.8f, 0.3f}, {40.0f, 1.0f, 4.0f}};
  for (size_t hi = 0; hi < COUNT(Hs); hi++)
    for (size_t nb = 1; nb <= 7; nb++)
      for (int ract = 0; ract < 3; ract++)
        for (int sat = 0; sat < 2; sat++) {
          const size_t H = Hs[hi], Hp = (H + 15) / 16 * 16;
          const float *rg = ranges[sat];
          /* LSTM */
          {
            float *w = packed_weights(H, Hp, 4, rg[2]);
            arnn_rnn_step_args a = {H, Hp, w + 1, NULL, NULL, 0, ract, NULL, NULL, NULL, NULL, 0, NULL};
            test_step_bufs ref, out;
            const uint64_t saved = rng;
            test_step_bufs_init(&ref, nb, 4, H, Hp, rg[0], rg[1], &rng);
            rng = saved;
            test_step_bufs_init(&out, nb, 4, H, Hp, rg[0], rg[1], &rng);
            test_lstm_steps[test_lstm_step_count - 1].fn(&a, nb, ref.xpp, ref.hp, ref.cp, ref.hop);
            for (size_t q = 0; q < nb; q++)
              for (size_t u = 0; u < Hp; u++) {
                CHECK(fabsf(ref.hop[q][u]) <= 1.0f && !isnan(ref.hop[q][u]), "lstm scalar h out of range");
                if (u >= H) CHECK(ref.hop[q][u] == 0.0f && ref.cp[q][u] == 0.0f, "lstm padded lane not zero");
              }
            /* every kernel, with and without the grouped copy, blocks in
             * order and reversed (variant bits 1, 2) */
            float *w1 = grouped_copy(w + 1, H, Hp, 4);
            for (size_t v = 0; v < 4 * test_lstm_step_count; v++) {
              const size_t i = v % test_lstm_step_count, grouped = v / test_lstm_step_count & 1,
                           reverse = v / test_lstm_step_count >> 1;
              if (i + 1 == test_lstm_step_count || !test_isa_available(test_lstm_steps[i].isa)) continue;
              a.w1 = grouped ? w1 + 1 : NULL;
              a.reverse = (int)reverse;
              const uint64_t s2 = rng;
              rng = saved;
              test_step_bufs_free(&out);
              test_step_bufs_init(&out, nb, 4, H, Hp, rg[0], rg[1], &rng);
              rng = s2;
              test_lstm_steps[i].fn(&a, nb, out.xpp, out.hp, out.cp, out.hop);
              CHECK(same(out.ho, ref.ho, nb * Hp + 1) && same(out.c, ref.c, nb * Hp + 1),
                    "lstm_step %s != scalar: H=%zu nb=%zu ract=%d sat=%d grouped=%zu reverse=%zu",
                    test_lstm_steps[i].isa, H, nb, ract, sat, grouped, reverse);
            }
            free(w1);
            test_step_bufs_free(&ref);
            test_step_bufs_free(&out);
            free(w);
          }
          /* GRU, both reset modes */
          for (int ra = 0; ra < 2; ra++) {
            float *w = packed_weights(H, Hp, ra ? 3 : 2, rg[2]);
            float *wh = ra ? NULL : packed_weights(H, Hp, 1, rg[2]);
            float *brh = calloc(Hp + 1, sizeof(float));
            for (size_t u = 0; u < H; u++) brh[1 + u] = test_rand_uniform(&rng, -1, 1);
            arnn_rnn_step_args a = {H, Hp, w + 1, wh ? wh + 1 : NULL, ra ? brh + 1 : NULL, ra, ract, NULL, NULL, NULL, NULL, 0, NULL};
            test_step_bufs ref, out;
            const uint64_t saved = rng;
            test_step_bufs_init(&ref, nb, 3, H, Hp, rg[0], rg[1], &rng);
            test_gru_steps[test_gru_step_count - 1].fn(&a, nb, ref.xpp, ref.hp, ref.hop, ref.sp);
            for (size_t q = 0; q < nb; q++)
              for (size_t u = 0; u < Hp; u++) {
                CHECK(fabsf(ref.hop[q][u]) <= 1.0f && !isnan(ref.hop[q][u]), "gru scalar h out of range");
                if (u >= H) CHECK(ref.hop[q][u] == 0.0f, "gru padded lane not zero");
              }
            float *w1 = grouped_copy(w + 1, H, Hp, ra ? 3 : 2), *wh1 = ra ? NULL : grouped_copy(wh + 1, H, Hp, 1);
            for (size_t v = 0; v < 4 * test_gru_step_count; v++) {
              const size_t i = v % test_gru_step_count, grouped = v / test_gru_step_count & 1,
                           reverse = v / test_gru_step_count >> 1;
              if (i + 1 == test_gru_step_count || !test_isa_available(test_gru_steps[i].isa)) continue;
              a.w1 = grouped ? w1 + 1 : NULL;
              a.w_h1 = grouped && wh1 ? wh1 + 1 : NULL;
              a.reverse = (int)reverse;
              const uint64_t s2 = rng;
              rng = saved;
              test_step_bufs_init(&out, nb, 3, H, Hp, rg[0], rg[1], &rng);
              rng = s2;
              test_gru_steps[i].fn(&a, nb, out.xpp, out.hp, out.hop, out.sp);
              CHECK(same(out.ho, ref.ho, nb * Hp + 1),
                    "gru_step %s != scalar: H=%zu nb=%zu ract=%d sat=%d reset_after=%d grouped=%zu reverse=%zu",
                    test_gru_steps[i].isa, H, nb, ract, sat, ra, grouped, reverse);
              test_step_bufs_free(&out);
            }
            free(w1);
            free(wh1);
            test_step_bufs_free(&ref);
            free(w);
            free(wh);
            free(brh);
          }
        }
}

/* A cell's W_hh as the layer packs it (random Keras-layout R, values in
 * [-range, range]), float32 and bf16, and the step arguments of one weight
 * type. cell: 0 LSTM, 1 GRU reset_after 1, 2 GRU reset_after 0. */
typedef struct {
  float *R, *w, *wh, *brh;
  uint16_t *w16, *wh16;
  arnn_rnn_step_args a;
} test_cell_weights;

static void test_cell_weights_init(test_cell_weights *cw, int cell, int bf16, size_t H, float range) {
  const size_t Hp = (H + 15) / 16 * 16, G = cell == 0 ? 4 : 3, passes_g = cell == 2 ? 2 : G;
  cw->R = rand_buf(H * G * H, -range, range);
  cw->w = calloc(Hp * H * G, sizeof(float));
  cw->wh = calloc(Hp * H, sizeof(float));
  cw->w16 = calloc(Hp * (H + 1) * G, sizeof(uint16_t));
  cw->wh16 = calloc(Hp * (H + 1), sizeof(uint16_t));
  arnn_rnn_pack_recurrent(cw->R, H, G, 0, passes_g, cw->w);
  arnn_rnn_pack_recurrent_bf16(cw->R, H, G, 0, passes_g, cw->w16);
  if (cell == 2) {
    arnn_rnn_pack_recurrent(cw->R, H, G, 2, 1, cw->wh);
    arnn_rnn_pack_recurrent_bf16(cw->R, H, G, 2, 1, cw->wh16);
  }
  cw->brh = rand_buf(Hp, -1, 1);
  for (size_t u = H; u < Hp; u++) cw->brh[u] = 0.0f;
  const arnn_rnn_step_args a = {H, Hp, bf16 ? NULL : cw->w, bf16 || cell != 2 ? NULL : cw->wh,
                                cell == 1 ? cw->brh : NULL, cell == 1, ARNN_RACT_SIGMOID, bf16 ? cw->w16 : NULL,
                                bf16 && cell == 2 ? cw->wh16 : NULL, NULL, NULL, 0, NULL};
  cw->a = a;
}

static void test_cell_weights_free(test_cell_weights *cw) {
  free(cw->R);
  free(cw->w);
  free(cw->wh);
  free(cw->w16);
  free(cw->wh16);
  free(cw->brh);
}

/* Projection pieces (arnn_rnn_side_gemm, rnn-step.h) at one sequence: every
 * step kernel on every ISA, float32 and bf16 W_hh, LSTM and both GRU modes.
 * With a piece the step's own outputs keep their bits. The AVX-512 kernels
 * take the piece: it ends with p0 == p1 and kdone == 0, panels [p0, p1) of
 * the 8 rows hold the scalar GEMM's bits and nothing else of C is written.
 * The others leave the piece and C untouched. K from 1 (several pieces per
 * tile) to 300 (longer than the step: finished after it). */
static void test_side_pieces(void) {
  const size_t Hs[] = {5, 16, 37, 100}, Ks[] = {1, 7, 50, 300}, NPAN = 6, ROWS = ARNN_RNN_SIDE_ROWS;
  const size_t ranges[][2] = {{0, 0}, {0, 1}, {1, 4}, {0, 6}};
  for (size_t hi = 0; hi < COUNT(Hs); hi++)
    for (size_t ki = 0; ki < COUNT(Ks); ki++)
      for (int cell = 0; cell < 3; cell++) /* LSTM, GRU reset_after 1, GRU reset_after 0 */
        for (int bf16 = 0; bf16 < 2; bf16++) {
          const size_t H = Hs[hi], Hp = (H + 15) / 16 * 16, K = Ks[ki], G = cell == 0 ? 4 : 3;
          const size_t ldc = NPAN * 16 + 5, lda = K + 3;
          const size_t pr = ranges[(hi + ki + (size_t)cell) % COUNT(ranges)][0],
                       pe = ranges[(hi + ki + (size_t)cell) % COUNT(ranges)][1];
          /* W_hh: random Keras-layout R, packed as the layer does */
          test_cell_weights cw;
          test_cell_weights_init(&cw, cell, bf16, H, 0.4f);
          arnn_rnn_step_args a = cw.a;
          /* the piece: 8 rows x K of A (and k-major), NPAN panels of B */
          float *A = rand_buf(ROWS * lda, -1, 1), *At = malloc(K * ROWS * sizeof(float));
          for (size_t k = 0; k < K; k++)
            for (size_t r = 0; r < ROWS; r++) At[k * ROWS + r] = A[r * lda + k];
          float *Bp = rand_buf(NPAN * K * 16, -1, 1), *bias = rand_buf(NPAN * 16, -1, 1);
          float *Cref = malloc(ROWS * ldc * sizeof(float)), *C = malloc(ROWS * ldc * sizeof(float));
          for (size_t i = 0; i < ROWS * ldc; i++) Cref[i] = -7.0f;
          gemms[COUNT(gemms) - 1].fn(ROWS, (pe - pr) * 16, K, A, lda, Bp + pr * K * 16, bias + pr * 16, Cref + pr * 16,
                                     ldc);
          const size_t count = cell == 0 ? (bf16 ? test_lstm_step_bf16_count : test_lstm_step_count)
                                         : (bf16 ? test_gru_step_bf16_count : test_gru_step_count);
          const uint64_t saved = rng;
          for (size_t i = 0; i < count; i++) {
            const char *isa = cell == 0 ? (bf16 ? test_lstm_steps_bf16 : test_lstm_steps)[i].isa
                                        : (bf16 ? test_gru_steps_bf16 : test_gru_steps)[i].isa;
            if (!test_isa_available(isa)) continue;
            test_step_bufs plain, with;
            for (int v = 0; v < 2; v++) {
              test_step_bufs *b = v ? &with : &plain;
              rng = saved;
              test_step_bufs_init(b, 1, G, H, Hp, 1.0f, 0.8f, &rng);
              arnn_rnn_side_gemm job = {K, Bp, bias, A, lda, At, C, ldc, pr, pe, 0};
              const arnn_rnn_side_gemm before = job;
              for (size_t q = 0; q < ROWS * ldc; q++) C[q] = -7.0f;
              a.side = v ? &job : NULL;
              if (cell == 0)
                (bf16 ? test_lstm_steps_bf16 : test_lstm_steps)[i].fn(&a, 1, b->xpp, b->hp, b->cp, b->hop);
              else
                (bf16 ? test_gru_steps_bf16 : test_gru_steps)[i].fn(&a, 1, b->xpp, b->hp, b->hop, b->sp);
              if (!v) continue;
              const int takes = strcmp(isa, "avx512") == 0;
              if (takes)
                CHECK(job.p0 == pe && job.kdone == 0 && same(C, Cref, ROWS * ldc),
                      "%s side piece: cell=%d bf16=%d H=%zu K=%zu panels [%zu, %zu): wrong result", isa, cell, bf16,
                      H, K, pr, pe);
              else
                CHECK(memcmp(&job, &before, sizeof job) == 0 && C[0] == -7.0f && C[pr * 16] == -7.0f,
                      "%s side piece: touched by a kernel that does not take it", isa);
            }
            CHECK(same(with.ho, plain.ho, Hp + 1) && (cell != 0 || same(with.c, plain.c, Hp + 1)),
                  "%s step with a side piece differs: cell=%d bf16=%d H=%zu K=%zu", isa, cell, bf16, H, K);
            test_step_bufs_free(&plain);
            test_step_bufs_free(&with);
          }
          test_cell_weights_free(&cw);
          free(A);
          free(At);
          free(Bp);
          free(bias);
          free(Cref);
          free(C);
        }
}

/* Batched steps over k in chunks (../kernels/rnn/rnn-step-batch-inl.h):
 * every kernel on every ISA, float32 and bf16 W_hh, LSTM and both GRU modes,
 * against the scalar kernel's bits. H past the chunk lengths (float32 LSTM
 * 128, GRU 170 / 256; bf16 256, 340, 512; odd H: the bf16 kernels' lone
 * last k after a chunk), W_hh past the L2-resident size (the tiles request
 * the next chunk while they run), sequences past the driver's 64 at a time,
 * groups of 1 to 4 sequences. */
static void test_batched_chunks(void) {
  const size_t Hs[] = {130, 200, 301, 520}, nbs[] = {2, 5, 9, 67};
  for (size_t hi = 0; hi < COUNT(Hs); hi++)
    for (size_t ni = 0; ni < COUNT(nbs); ni++) {
      const size_t H = Hs[hi], Hp = (H + 15) / 16 * 16, nb = nbs[ni];
      if (nb > 9 && H > 130) continue; /* the scalar reference's time */
      for (int cell = 0; cell < 3; cell++) /* LSTM, GRU reset_after 1, GRU reset_after 0 */
        for (int bf16 = 0; bf16 < 2; bf16++) {
          const size_t G = cell == 0 ? 4 : 3;
          test_cell_weights cw;
          test_cell_weights_init(&cw, cell, bf16, H, 0.3f);
          const arnn_rnn_step_args a = cw.a;
          /* per sequence: xp (G*Hp), h, c, h_out, scratch (Hp each); h and
           * c zero past H, as the layer keeps them */
          float *xp = rand_buf(nb * G * Hp, -1, 1), *h = rand_buf(nb * Hp, -0.8f, 0.8f),
                *c0 = rand_buf(nb * Hp, -2, 2);
          for (size_t q = 0; q < nb; q++)
            for (size_t u = H; u < Hp; u++) h[q * Hp + u] = c0[q * Hp + u] = 0.0f;
          float *c[2], *ho[2], *scr = malloc(nb * Hp * sizeof(float));
          const float **xpp = malloc(nb * sizeof *xpp), **hp = malloc(nb * sizeof *hp);
          float **cp[2] = {malloc(nb * sizeof(float *)), malloc(nb * sizeof(float *))};
          float **hop[2] = {malloc(nb * sizeof(float *)), malloc(nb * sizeof(float *))};
          float **sp = malloc(nb * sizeof *sp);
          for (int v = 0; v < 2; v++) {
            c[v] = malloc(nb * Hp * sizeof(float));
            ho[v] = malloc(nb * Hp * sizeof(float));
            for (size_t q = 0; q < nb; q++) {
              cp[v][q] = c[v] + q * Hp;
              hop[v][q] = ho[v] + q * Hp;
            }
          }
          for (size_t q = 0; q < nb; q++) {
            xpp[q] = xp + q * G * Hp;
            hp[q] = h + q * Hp;
            sp[q] = scr + q * Hp;
          }
          const size_t count = cell == 0 ? (bf16 ? test_lstm_step_bf16_count : test_lstm_step_count)
                                         : (bf16 ? test_gru_step_bf16_count : test_gru_step_count);
          for (size_t i = count; i-- > 0;) { /* the scalar kernel (last) first: v = 0 */
            const char *isa = cell == 0 ? (bf16 ? test_lstm_steps_bf16 : test_lstm_steps)[i].isa
                                        : (bf16 ? test_gru_steps_bf16 : test_gru_steps)[i].isa;
            if (i + 1 < count && !test_isa_available(isa)) continue;
            const int v = i + 1 < count;
            memcpy(c[v], c0, nb * Hp * sizeof(float));
            for (size_t q = 0; q < nb * Hp; q++) ho[v][q] = -5.0f;
            if (cell == 0)
              (bf16 ? test_lstm_steps_bf16 : test_lstm_steps)[i].fn(&a, nb, xpp, hp, cp[v], hop[v]);
            else
              (bf16 ? test_gru_steps_bf16 : test_gru_steps)[i].fn(&a, nb, xpp, hp, hop[v], sp);
            if (v)
              CHECK(same(ho[1], ho[0], nb * Hp) && (cell != 0 || same(c[1], c[0], nb * Hp)),
                    "%s batched step != scalar: cell=%d bf16=%d H=%zu nb=%zu", isa, cell, bf16, H, nb);
          }
          for (int v = 0; v < 2; v++) {
            free(c[v]);
            free(ho[v]);
            free(cp[v]);
            free(hop[v]);
          }
          free(scr);
          free(xpp);
          free(hp);
          free(sp);
          free(xp);
          free(h);
          free(c0);
          test_cell_weights_free(&cw);
        }
    }
}

int main(void) {
  printf("rnn-kernels: seed 0x%llx\n", (unsigned long long)rng);
  test_gemm();
  test_pack_grouped();
  test_steps();
  test_side_pieces();
  test_batched_chunks();
  if (failures) {
    printf("rnn-kernels: %d failures\n", failures);
    return 1;
  }
  printf("rnn-kernels: ok\n");
  return 0;
}
