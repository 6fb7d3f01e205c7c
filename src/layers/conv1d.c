/* Conv1D (channels_last) as im2col + the dispatched packed GEMM.
 *
 * Output step o reads the input steps t = o*stride - pad_left + j*dilation,
 * j = 0..k-1; its im2col row is those k input rows side by side ([k][in],
 * zeros for steps outside [0, T)), which is exactly the row layout of the
 * Keras kernel [k][in][out] read as a [k*in][out] matrix. So one GEMM with
 * K = k*in gives every output, in the GEMM's fixed order (bias, then fma over
 * j, then over the input channel), the same bits on every ISA.
 *
 * Lengths and padding (keras/src/ops/operation_utils.py
 * compute_conv_output_shape; tf.keras utils/conv_utils.py conv_output_length;
 * TensorFlow's SAME padding), with dk = dilation*(k-1) + 1:
 *   valid:  T' = floor((T - dk) / stride) + 1 (0 when T < dk), pad_left = 0;
 *   same:   T' = ceil(T / stride), pad_total = max((T'-1)*stride + dk - T, 0),
 *           pad_left = floor(pad_total / 2) (the extra step goes right);
 *   causal: T' = ceil(T / stride), pad_left = dk - 1 (keras pads the input on
 *           the left by dilation*(k-1), then runs a valid convolution). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../dispatch/dispatch.h"
#include "gemm-pack-inl.h"
#include "layers.h"

struct arnn_conv1d_layer {
  size_t in, out, k, stride, dilation, dk;
  arnn_padding_mode padding;
  size_t K;     /* k*in */
  size_t n_pad; /* round_up(out, 16) */
  float *bpack; /* [n_pad/16][K][16] */
  float *bias;  /* [n_pad], zero-padded */
  arnn_act act;
};

arnn_status arnn_conv1d_layer_create(size_t in, size_t out, size_t kernel_size, size_t stride, size_t dilation,
                                     arnn_padding_mode padding, const float *kernel, const float *bias,
                                     const arnn_act *act, arnn_conv1d_layer **layer) {
  if (layer == NULL) return ARNN_ERR_INVALID_ARGUMENT;
  *layer = NULL;
  if (in == 0 || out == 0 || kernel_size == 0 || stride == 0 || dilation == 0 || kernel == NULL)
    return ARNN_ERR_INVALID_ARGUMENT;
  if (padding != ARNN_PAD_VALID && padding != ARNN_PAD_SAME && padding != ARNN_PAD_CAUSAL)
    return ARNN_ERR_INVALID_ARGUMENT;
  arnn_act fused;
  if (!layer_fused_act(act, &fused)) return ARNN_ERR_INVALID_ARGUMENT;
  size_t span, K, packed, bytes, im2col;
  if (out > SIZE_MAX - 15 || !layer_mul_ok(dilation, kernel_size - 1, &span) || span > SIZE_MAX / 4 ||
      !layer_mul_ok(kernel_size, in, &K))
    return ARNN_ERR_OUT_OF_RANGE;
  const size_t n_pad = (out + 15) & ~(size_t)15;
  /* the packed weights and one block of im2col rows + padded outputs must be
   * addressable; span <= SIZE_MAX/4 keeps o*stride + j*dilation (< T + dk)
   * from wrapping for any T the graph allows */
  if (!layer_mul_ok(K, n_pad, &packed) || !layer_mul_ok(packed, sizeof(float), &bytes) ||
      bytes > (size_t)PTRDIFF_MAX - 63 || K > SIZE_MAX - n_pad ||
      !layer_mul_ok(LAYER_ROW_BLOCK, K + n_pad, &im2col) || !layer_mul_ok(im2col, sizeof(float), &bytes) ||
      bytes > (size_t)PTRDIFF_MAX)
    return ARNN_ERR_OUT_OF_RANGE;

  arnn_conv1d_layer *l = calloc(1, sizeof *l);
  if (l == NULL) return ARNN_ERR_OUT_OF_MEMORY;
  l->in = in;
  l->out = out;
  l->k = kernel_size;
  l->stride = stride;
  l->dilation = dilation;
  l->dk = span + 1;
  l->padding = padding;
  l->K = K;
  l->n_pad = n_pad;
  l->act = fused;
  l->bpack = layer_alloc_floats(packed);
  l->bias = layer_alloc_floats(n_pad);
  if (l->bpack == NULL || l->bias == NULL) {
    arnn_conv1d_layer_destroy(l);
    return ARNN_ERR_OUT_OF_MEMORY;
  }
  arnn_f32_gemm_pack(K, out, n_pad, kernel, out, l->bpack);
  for (size_t c = 0; c < n_pad; c++) l->bias[c] = bias != NULL && c < out ? bias[c] : 0.0f;
  *layer = l;
  return ARNN_OK;
}

void arnn_conv1d_layer_destroy(arnn_conv1d_layer *layer) {
  if (layer == NULL) return;
  free(layer->bpack);
  free(layer->bias);
  free(layer);
}

size_t arnn_conv1d_layer_out_steps(const arnn_conv1d_layer *layer, size_t T) {
  if (layer == NULL || T == 0) return 0;
  if (layer->padding == ARNN_PAD_VALID) return T < layer->dk ? 0 : (T - layer->dk) / layer->stride + 1;
  return (T - 1) / layer->stride + 1;
}

/* Input steps to the left of step 0 (see the file comment). */
static size_t conv_pad_left(const arnn_conv1d_layer *l, size_t T, size_t T_out) {
  if (l->padding == ARNN_PAD_CAUSAL) return l->dk - 1;
  if (l->padding == ARNN_PAD_VALID) return 0;
  /* pad_total = max((T_out - 1)*stride + dk - T, 0), without overflow:
   * (T_out - 1)*stride <= T - 1 */
  const size_t reach = (T_out - 1) * l->stride;
  if (l->dk >= T) return (l->dk - T + reach) / 2;
  return reach > T - l->dk ? (reach - (T - l->dk)) / 2 : 0;
}

size_t arnn_conv1d_layer_scratch_floats(const arnn_conv1d_layer *layer, size_t B, size_t T) {
  if (layer == NULL) return 0;
  size_t rows;
  if (!layer_mul_ok(B, arnn_conv1d_layer_out_steps(layer, T), &rows)) rows = SIZE_MAX;
  if (rows > LAYER_ROW_BLOCK) rows = LAYER_ROW_BLOCK;
  const size_t c_cols = layer->out == layer->n_pad ? 0 : layer->n_pad;
  return rows * (layer->K + c_cols); /* bounded at create */
}

/* One im2col row: the k input rows of output step o of one sample. */
static void im2col_row(const arnn_conv1d_layer *l, size_t T, size_t pad_left, const float *xb, size_t o,
                       float *row) {
  const size_t in = l->in;
  /* t_j = o*stride + j*dilation - pad_left, in unsigned arithmetic offset by pad_left */
  const size_t base = o * l->stride;
  for (size_t j = 0; j < l->k; j++) {
    const size_t shifted = base + j * l->dilation; /* t_j + pad_left */
    float *dst = row + j * in;
    if (shifted < pad_left || shifted - pad_left >= T)
      memset(dst, 0, in * sizeof(float));
    else
      memcpy(dst, xb + (shifted - pad_left) * in, in * sizeof(float));
  }
}

void arnn_conv1d_layer_apply(const arnn_conv1d_layer *layer, size_t B, size_t T, const float *x, float *y,
                             float *scratch) {
  if (layer == NULL || x == NULL || y == NULL || scratch == NULL) return;
  const size_t T_out = arnn_conv1d_layer_out_steps(layer, T);
  if (B == 0 || T_out == 0) return;
  const arnn_f32_gemm_fn gemm = arnn_dispatch()->gemm.fn;
  const size_t K = layer->K, out = layer->out, n_pad = layer->n_pad, in = layer->in;
  const size_t pad_left = conv_pad_left(layer, T, T_out);
  const size_t total = B * T_out;
  const size_t block = total < LAYER_ROW_BLOCK ? total : LAYER_ROW_BLOCK;
  float *cols = scratch;              /* [block][K] */
  float *cbuf = scratch + block * K;  /* [block][n_pad], used when out % 16 != 0 */
  /* Rows of y are the flattened (sample, output step) pairs, in order. */
  for (size_t g0 = 0; g0 < total; g0 += LAYER_ROW_BLOCK) {
    const size_t m = total - g0 < LAYER_ROW_BLOCK ? total - g0 : LAYER_ROW_BLOCK;
    for (size_t r = 0; r < m; r++) {
      const size_t g = g0 + r, b = g / T_out, o = g % T_out;
      im2col_row(layer, T, pad_left, x + b * T * in, o, cols + r * K);
    }
    float *yb = y + g0 * out;
    if (out == n_pad) {
      gemm(m, n_pad, K, cols, K, layer->bpack, layer->bias, yb, out);
    } else {
      gemm(m, n_pad, K, cols, K, layer->bpack, layer->bias, cbuf, n_pad);
      for (size_t r = 0; r < m; r++) memcpy(yb + r * out, cbuf + r * n_pad, out * sizeof(float));
    }
    arnn_act_apply(&layer->act, 1, m, out, NULL, yb);
  }
}
