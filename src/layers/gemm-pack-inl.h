/* Shared by dense.c and conv1d.c: allocation of the GEMM's packed panels
 * (packed by arnn_f32_gemm_pack, kernels/gemm/gemm.h) and the fused
 * activation those layers apply to their output rows. */
#ifndef ARNN_SRC_LAYERS_GEMM_PACK_INL_H
#define ARNN_SRC_LAYERS_GEMM_PACK_INL_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "layers.h"

/* Output rows per GEMM call: the AVX-512 kernel's row block, so a call is as
 * efficient as a whole-matrix one while the padded output and the im2col rows
 * stay small (a row's result never depends on the other rows of the call). */
#define LAYER_ROW_BLOCK 128

/* a * b into *out; 0 on overflow. */
static inline int layer_mul_ok(size_t a, size_t b, size_t *out) {
  if (a != 0 && b > SIZE_MAX / a) return 0;
  *out = a * b;
  return 1;
}

/* 64-byte aligned floats (n >= 1, size rounded up to a multiple of 64 bytes as
 * aligned_alloc requires); NULL on overflow or failure. */
static inline float *layer_alloc_floats(size_t n) {
  size_t bytes;
  if (n == 0 || !layer_mul_ok(n, sizeof(float), &bytes) || bytes > (size_t)PTRDIFF_MAX - 63) return NULL;
  bytes = (bytes + 63) & ~(size_t)63;
  return aligned_alloc(64, bytes);
}

/* The activation of a Dense or Conv1D layer: Keras applies it on the last
 * axis, so a softmax always runs over the output features whatever `axis`
 * says; prelu is a layer, not an activation argument. 0 if not accepted. */
static inline int layer_fused_act(const arnn_act *act, arnn_act *out) {
  memset(out, 0, sizeof *out);
  out->kind = ARNN_ACT_LINEAR;
  if (act == NULL) return 1;
  if ((int)act->kind < 0 || act->kind >= ARNN_ACT_COUNT || act->kind == ARNN_ACT_PRELU) return 0;
  *out = *act;
  out->axis = 1;
  out->prelu_alpha = NULL;
  return 1;
}

#endif
