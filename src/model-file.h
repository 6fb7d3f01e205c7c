/* Loaded model (internal): the architecture and the weights of an arnn model
 * file, validated, as the layer / attention / dense code consumes them.
 *
 * All weight arrays are float32, row-major, in PLAIN Keras layout (the
 * converter already turned CuDNN layouts into it), each 64-byte aligned, never
 * NaN or inf. G = 4 for LSTM (gate order i, f, c, o), 3 for GRU (z, r, h).
 * See docs/model-format.md. */
#ifndef ARNN_SRC_MODEL_FILE_H
#define ARNN_SRC_MODEL_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "arnn/arnn.h"

/* Bounds the loader enforces on the metadata (docs/model-format.md). */
#define ARNN_MODEL_MAX_HEADER ((uint64_t)16 << 20) /* safetensors JSON header bytes */
#define ARNN_MODEL_MAX_T 65536
#define ARNN_MODEL_MAX_E 65536
#define ARNN_MODEL_MAX_V (1u << 24)
#define ARNN_MODEL_MAX_H 16384
#define ARNN_MODEL_MAX_C 65536
#define ARNN_MODEL_MAX_LABEL 1024 /* bytes per label */
#define ARNN_MODEL_FORMAT_VERSION 2u

typedef struct {
  const float *kernel;           /* [E, G*H] */
  const float *recurrent_kernel; /* [H, G*H] */
  const float *bias;             /* [G*H]; GRU reset_after: [2, G*H] = input bias row, recurrent bias row */
} arnn_model_rnn_weights;

struct arnn_model {
  arnn_model_info info;
  size_t gates;                  /* G: 4 (LSTM) or 3 (GRU) */
  const float *embedding;        /* [V, E]; NULL for dense input */
  arnn_model_rnn_weights rnn[2]; /* [0] forward, [1] backward (reads the sequence reversed) */
  const float *attention_weight; /* [2H] */
  const float *attention_bias;   /* [T]; NULL when info.attention_bias == 0 */
  const float *dense_kernel;     /* [2H, C] */
  const float *dense_bias;       /* [C] */
  char **labels;                 /* C NUL-terminated strings */
  /* the layers, built once at load (graph.c); the weight pointers above are
   * only valid while it is built, then the block is freed */
  struct arnn_graph *graph;
  /* owned storage */
  void *weights_block;           /* one allocation holding every tensor, during loading */
  char *label_block;
};


#endif
