/* The recurrent-layer API as a user sees it, through the shared library:
 * symbols exported or hidden, kernel names reported, a small bidirectional
 * LSTM created and run with and without a thread pool (same bits), and one
 * sequence alone against the same sequence in a batch (same bits). */
#include <dlfcn.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "arnn/arnn.h"

static int failures;
#include "check.h"

/* A bidirectional layer's descriptor (defaults otherwise) over the
 * per-direction weights k, r, b. */
static void bidirectional_desc(arnn_rnn_layer_desc *desc, size_t E, size_t H, const float *const k[2],
                               const float *const r[2], const float *const b[2]) {
  arnn_rnn_layer_desc_init(desc);
  desc->input_size = E;
  desc->units = H;
  desc->bidirectional = 1;
  for (int d = 0; d < 2; d++) {
    desc->kernel[d] = k[d];
    desc->recurrent_kernel[d] = r[d];
    desc->bias[d] = b[d];
  }
}

/* One sequence (B = 1) against the same sequence run next to another (B = 2):
 * the contract says a sequence's result does not depend on the others in the
 * call, and the two take different paths at B = 1:
 *  - H = 100 (W_hh stays in L2): the AVX-512 kernels read the
 *    group-interleaved W_hh copies, alternated step by step by a thread that
 *    runs one direction alone; seven 16-unit blocks, a group of four and one
 *    of three;
 *  - H = 200 (W_hh 640 KB, beyond ARNN_RNN_L2_RESIDENT_BYTES): one thread runs
 *    the directions one after the other and the steps alternate the block
 *    order.
 * Each cell, without and with a two-thread pool. */
static void check_one_sequence_paths(size_t H) {
  enum { E = 5, T = 9, HMAX = 200 };
  static float k[2][E * 4 * HMAX], r[2][HMAX * 4 * HMAX], b[2][2 * 4 * HMAX], x[2 * T * E];
  static float y_one[T * 2 * HMAX], y_two[2 * T * 2 * HMAX];
  for (int d = 0; d < 2; d++) {
    for (size_t i = 0; i < E * 4 * H; i++) k[d][i] = (float)((i * 7 + d) % 11) / 11.0f - 0.5f;
    for (size_t i = 0; i < H * 4 * H; i++) r[d][i] = (float)((i * 5 + d) % 13) / (13.0f * H / 25) - 0.125f;
    for (size_t i = 0; i < 2 * 4 * H; i++) b[d][i] = (float)(i % 3) * 0.1f;
  }
  for (int i = 0; i < 2 * T * E; i++) x[i] = (float)((i * 3) % 5) - 2.0f;
  arnn_threadpool *pool = NULL;
  CHECK(arnn_threadpool_create(2, &pool) == ARNN_OK, "two-thread pool");
  for (int cell = 0; cell < 3; cell++) { /* LSTM, GRU reset_after 1, GRU reset_after 0 */
    arnn_rnn_layer_desc desc;
    bidirectional_desc(&desc, E, H, (const float *const[]){k[0], k[1]}, (const float *const[]){r[0], r[1]},
                       (const float *const[]){b[0], b[1]});
    desc.cell = cell == 0 ? ARNN_RNN_LSTM : ARNN_RNN_GRU;
    desc.reset_after = cell == 1;
    arnn_rnn_layer *layer = NULL;
    CHECK(arnn_rnn_layer_create(&desc, &layer) == ARNN_OK, "create cell %d", cell);
    for (int with_pool = 0; with_pool < 2; with_pool++) {
      arnn_threadpool *p = with_pool ? pool : NULL;
      CHECK(arnn_rnn_layer_forward(layer, p, 1, T, x, NULL, y_one) == ARNN_OK, "forward B=1");
      CHECK(arnn_rnn_layer_forward(layer, p, 2, T, x, NULL, y_two) == ARNN_OK, "forward B=2");
      CHECK(memcmp(y_one, y_two, T * 2 * H * sizeof(float)) == 0,
            "H %zu, cell %d, pool %d: one sequence alone != the same in a batch", H, cell, with_pool);
    }
    arnn_rnn_layer_destroy(layer);
  }
  arnn_threadpool_destroy(pool);
}

int main(void) {
  CHECK(dlsym(RTLD_DEFAULT, "arnn_rnn_layer_create") != NULL, "public symbol visible");
  CHECK(dlsym(RTLD_DEFAULT, "arnn_threadpool_create") != NULL, "public symbol visible");
  CHECK(dlsym(RTLD_DEFAULT, "arnn_f32_lstm_step__scalar") == NULL, "kernel symbols hidden");
  CHECK(dlsym(RTLD_DEFAULT, "arnn_f32_gemm__scalar") == NULL, "kernel symbols hidden");
  CHECK(dlsym(RTLD_DEFAULT, "arnn_threadpool_run") == NULL, "pool internals hidden");
  const char *ops[] = {"gemm", "lstm_step", "gru_step"};
  for (int i = 0; i < 3; i++) {
    const char *name = arnn_kernel_name(ops[i]);
    const char *want = arnn_isa();
    CHECK(name != NULL && strstr(name, ops[i]) != NULL && strstr(name, want) != NULL, "kernel name of %s: %s",
          ops[i], name ? name : "NULL");
  }
  enum { E = 3, H = 20, T = 7, G = 4 };
  static float k[2][E * G * H], r[2][H * G * H], b[2][G * H], y1[2 * T * 2 * H], y2[2 * T * 2 * H];
  static float x[2 * T * E];
  for (int d = 0; d < 2; d++) {
    for (int i = 0; i < E * G * H; i++) k[d][i] = (float)((i * 7 + d) % 11) / 11.0f - 0.5f;
    for (int i = 0; i < H * G * H; i++) r[d][i] = (float)((i * 5 + d) % 13) / 26.0f - 0.25f;
    for (int i = 0; i < G * H; i++) b[d][i] = (float)(i % 3) * 0.1f;
  }
  for (int i = 0; i < 2 * T * E; i++) x[i] = (float)(i % 5) - 2.0f;
  arnn_rnn_layer_desc desc;
  bidirectional_desc(&desc, E, H, (const float *const[]){k[0], k[1]}, (const float *const[]){r[0], r[1]},
                     (const float *const[]){b[0], b[1]});
  arnn_rnn_layer *layer = NULL;
  arnn_threadpool *pool = NULL;
  CHECK(arnn_rnn_layer_create(&desc, &layer) == ARNN_OK, "create");
  CHECK(arnn_threadpool_create(0, &pool) == ARNN_OK && arnn_threadpool_size(pool) >= 1, "default pool");
  CHECK(arnn_rnn_layer_forward(layer, NULL, 2, T, x, NULL, y1) == ARNN_OK, "forward");
  CHECK(arnn_rnn_layer_forward(layer, pool, 2, T, x, NULL, y2) == ARNN_OK, "forward with pool");
  CHECK(memcmp(y1, y2, sizeof y1) == 0, "pool changes the bits");
  check_one_sequence_paths(100);
  check_one_sequence_paths(200);

  /* struct_size: a descriptor without it (not from arnn_rnn_layer_desc_init) or
   * shorter than the first version is refused; one from a newer header is read
   * when the fields this library does not know are zero, else refused as
   * unsupported. */
  arnn_rnn_layer *bad = NULL;
  arnn_rnn_layer_desc unsized = desc;
  unsized.struct_size = 0;
  CHECK(arnn_rnn_layer_create(&unsized, &bad) == ARNN_ERR_INVALID_ARGUMENT && bad == NULL, "struct_size 0");
  unsized.struct_size = offsetof(arnn_rnn_layer_desc, mask_zero);
  CHECK(arnn_rnn_layer_create(&unsized, &bad) == ARNN_ERR_INVALID_ARGUMENT && bad == NULL, "struct_size short");
  struct {
    arnn_rnn_layer_desc known;
    unsigned long long newer_field;
  } newer;
  memset(&newer, 0, sizeof newer);
  newer.known = desc;
  newer.known.struct_size = sizeof newer;
  newer.newer_field = 3;
  CHECK(arnn_rnn_layer_create(&newer.known, &bad) == ARNN_ERR_UNSUPPORTED && bad == NULL, "unknown nonzero field");
  newer.newer_field = 0;
  CHECK(arnn_rnn_layer_create(&newer.known, &bad) == ARNN_OK, "newer struct, zero tail");
  CHECK(arnn_rnn_layer_forward(bad, NULL, 2, T, x, NULL, y2) == ARNN_OK, "forward (newer struct)");
  CHECK(memcmp(y1, y2, sizeof y1) == 0, "a newer struct with zero tail changes the layer");
  arnn_rnn_layer_destroy(bad);
  arnn_threadpool_destroy(pool);
  arnn_rnn_layer_destroy(layer);
  printf("rnn-public-api: lstm_step kernel %s: %s\n", arnn_kernel_name("lstm_step"), failures ? "FAIL" : "ok");
  return failures != 0;
}
