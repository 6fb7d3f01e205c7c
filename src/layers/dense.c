/* Dense on the last axis (also TimeDistributed(Dense)): y = act(x K + b)
 * through the dispatched packed GEMM, so every ISA gives the same bits
 * (kernels/gemm/gemm.h: acc = bias, then fma over k in order).
 *
 * The GEMM writes N = round_up(out, 16) columns. When out is a multiple of 16
 * it writes straight into y; otherwise into a [rows][N] scratch block whose
 * first `out` columns are copied to y. The activation then runs on the block's
 * rows while they are in cache. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../dispatch/dispatch.h"
#include "gemm-pack-inl.h"
#include "layers.h"

struct arnn_dense_layer {
  size_t in, out, n_pad;
  float *bpack; /* [n_pad/16][in][16] */
  float *bias;  /* [n_pad], zeros past out (and everywhere without a bias) */
  arnn_act act;
};

arnn_status arnn_dense_layer_create(size_t in, size_t out, const float *kernel, const float *bias,
                                    const arnn_act *act, arnn_dense_layer **layer) {
  if (layer == NULL) return ARNN_ERR_INVALID_ARGUMENT;
  *layer = NULL;
  if (in == 0 || out == 0 || kernel == NULL) return ARNN_ERR_INVALID_ARGUMENT;
  arnn_act fused;
  if (!layer_fused_act(act, &fused)) return ARNN_ERR_INVALID_ARGUMENT;
  if (out > SIZE_MAX - 15) return ARNN_ERR_OUT_OF_RANGE;
  const size_t n_pad = (out + 15) & ~(size_t)15;
  size_t packed, bytes;
  if (!layer_mul_ok(in, n_pad, &packed) || !layer_mul_ok(packed, sizeof(float), &bytes) ||
      bytes > (size_t)PTRDIFF_MAX - 63 || !layer_mul_ok(LAYER_ROW_BLOCK, n_pad, &bytes))
    return ARNN_ERR_OUT_OF_RANGE;

  arnn_dense_layer *l = calloc(1, sizeof *l);
  if (l == NULL) return ARNN_ERR_OUT_OF_MEMORY;
  l->in = in;
  l->out = out;
  l->n_pad = n_pad;
  l->act = fused;
  l->bpack = layer_alloc_floats(packed);
  l->bias = layer_alloc_floats(n_pad);
  if (l->bpack == NULL || l->bias == NULL) {
    arnn_dense_layer_destroy(l);
    return ARNN_ERR_OUT_OF_MEMORY;
  }
  arnn_f32_gemm_pack(in, out, n_pad, kernel, out, l->bpack);
  for (size_t c = 0; c < n_pad; c++) l->bias[c] = bias != NULL && c < out ? bias[c] : 0.0f;
  *layer = l;
  return ARNN_OK;
}

void arnn_dense_layer_destroy(arnn_dense_layer *layer) {
  if (layer == NULL) return;
  free(layer->bpack);
  free(layer->bias);
  free(layer);
}

size_t arnn_dense_layer_scratch_floats(const arnn_dense_layer *layer, size_t rows) {
  if (layer == NULL || layer->out == layer->n_pad) return 0;
  const size_t block = rows < LAYER_ROW_BLOCK ? rows : LAYER_ROW_BLOCK;
  return block * layer->n_pad;
}

void arnn_dense_layer_apply(const arnn_dense_layer *layer, size_t rows, const float *x, float *y, float *scratch) {
  if (layer == NULL || x == NULL || y == NULL || rows == 0) return;
  const arnn_f32_gemm_fn gemm = arnn_dispatch()->gemm.fn;
  const size_t in = layer->in, out = layer->out, n_pad = layer->n_pad;
  for (size_t r0 = 0; r0 < rows; r0 += LAYER_ROW_BLOCK) {
    const size_t m = rows - r0 < LAYER_ROW_BLOCK ? rows - r0 : LAYER_ROW_BLOCK;
    float *yb = y + r0 * out;
    if (out == n_pad) {
      gemm(m, n_pad, in, x + r0 * in, in, layer->bpack, layer->bias, yb, out);
    } else {
      gemm(m, n_pad, in, x + r0 * in, in, layer->bpack, layer->bias, scratch, n_pad);
      for (size_t r = 0; r < m; r++) memcpy(yb + r * out, scratch + r * n_pad, out * sizeof(float));
    }
    arnn_act_apply(&layer->act, 1, m, out, NULL, yb);
  }
}
