/* Graph layers (internal): each layer family is created once from its
 * validated parameters and weights (packing done there, the caller's copy
 * may be freed afterwards) and applied to batch-major float32 buffers.
 *
 * Conventions for every apply function:
 *  - x is [B][T][F] (rank-2 values) or [B][F] (rank-1), row-major, no
 *    padding between rows; y likewise. y never aliases x unless stated.
 *  - mask, when given, is [B][T] bytes (nonzero = step kept).
 *  - scratch is caller-owned memory of at least the size the layer's
 *    *_scratch_floats() function reports (64-byte aligned); nothing is
 *    allocated during apply.
 *  - Results depend on nothing but the inputs: every sum has one fixed order
 *    (the packed GEMM's bias-then-fma over k order; plain loops elsewhere,
 *    compiled with -ffp-contract=off), so every ISA gives the same bits.
 *  - FTZ/DAZ are set by the caller (the graph run), not here. */
#ifndef ARNN_SRC_LAYERS_LAYERS_H
#define ARNN_SRC_LAYERS_LAYERS_H

#include <stddef.h>
#include <stdint.h>

#include "arnn/arnn.h"

/* ---- activations (docs/model-graph.md, "Activations") ---- */

typedef enum {
  ARNN_ACT_LINEAR = 0,
  ARNN_ACT_RELU,        /* Keras ReLU with negative_slope, max_value (INFINITY = none), threshold,
                           evaluated as Keras' backend code does (activation.c) */
  ARNN_ACT_RELU6,
  ARNN_ACT_LEAKY_RELU,  /* alpha */
  ARNN_ACT_ELU,         /* alpha */
  ARNN_ACT_SELU,
  ARNN_ACT_GELU,        /* erf form */
  ARNN_ACT_GELU_TANH,
  ARNN_ACT_SWISH,
  ARNN_ACT_TANH,
  ARNN_ACT_SIGMOID,
  ARNN_ACT_HARD_SIGMOID_KERAS2,
  ARNN_ACT_HARD_SIGMOID_KERAS3,
  ARNN_ACT_SOFTPLUS,
  ARNN_ACT_SOFTSIGN,
  ARNN_ACT_EXPONENTIAL,
  ARNN_ACT_SOFTMAX,     /* axis */
  ARNN_ACT_PRELU,       /* per-element alpha weights */
  ARNN_ACT_COUNT
} arnn_act_kind;

typedef struct {
  arnn_act_kind kind;
  float alpha;          /* leaky_relu, elu */
  float negative_slope; /* relu */
  float max_value;      /* relu; INFINITY when none */
  float threshold;      /* relu */
  int axis;             /* softmax: 0 = over rows (steps axis of a rank-2 value), 1 = over cols
                           (features); a rank-1 value [F] is passed as rows = F, cols = 1 with
                           axis 0, or rows = 1, cols = F with axis 1 */
  const float *prelu_alpha; /* prelu: one alpha per element of a sample ([T*F] or [F]), owned by the layer */
} arnn_act;

/* The name used in the graph JSON ("relu", "hard_sigmoid_keras2", ...) and
 * back; -1 for an unknown name. */
const char *arnn_act_name(arnn_act_kind kind);
int arnn_act_from_name(const char *name);

/* Applies `act` in place to B samples of shape [rows][cols]. Softmax takes
 * `axis` (0: over rows for each column, 1: over cols for each row; see the
 * rank-1 note at arnn_act.axis), subtracts the maximum, and with mask != NULL
 * (axis 0 only, [B][rows]; ignored for axis 1) treats masked rows as the
 * Keras Softmax layer of tf.keras 2 and of the Keras 3 releases whose layer
 * adds (1 - mask) * -1e9 to the logits (a column with every row masked comes
 * out uniform, as there; later Keras 3 replaces masked logits by -1e9 and
 * zeroes masked outputs, which differs only in that all-masked case).
 * Prelu reads act->prelu_alpha ([rows*cols]). tanh, sigmoid and exp use the
 * dispatched vmath kernels. */
void arnn_act_apply(const arnn_act *act, size_t B, size_t rows, size_t cols, const unsigned char *mask, float *x);

/* ---- Dense on the last axis (also TimeDistributed(Dense)) ---- */

typedef struct arnn_dense_layer arnn_dense_layer;
/* kernel [in][out] Keras layout, bias [out] or NULL; the activation is fused
 * (applied on the output rows while they are in cache); act NULL = linear;
 * a softmax runs over the output features (Keras' axis -1) whatever act->axis
 * says; prelu is refused (INVALID_ARGUMENT). */
arnn_status arnn_dense_layer_create(size_t in, size_t out, const float *kernel, const float *bias,
                                    const arnn_act *act, arnn_dense_layer **layer);
void arnn_dense_layer_destroy(arnn_dense_layer *layer);
size_t arnn_dense_layer_scratch_floats(const arnn_dense_layer *layer, size_t rows);
/* y[rows][out] = act(x[rows][in] K + b) */
void arnn_dense_layer_apply(const arnn_dense_layer *layer, size_t rows, const float *x, float *y, float *scratch);

/* ---- Conv1D (channels_last) through the packed GEMM ---- */

typedef enum { ARNN_PAD_VALID = 0, ARNN_PAD_SAME = 1, ARNN_PAD_CAUSAL = 2 } arnn_padding_mode;

typedef struct arnn_conv1d_layer arnn_conv1d_layer;
/* kernel [k][in][out] Keras layout, bias [out] or NULL; act as for Dense.
 * kernel_size, stride, dilation >= 1. */
arnn_status arnn_conv1d_layer_create(size_t in, size_t out, size_t kernel_size, size_t stride, size_t dilation,
                                     arnn_padding_mode padding, const float *kernel, const float *bias,
                                     const arnn_act *act, arnn_conv1d_layer **layer);
void arnn_conv1d_layer_destroy(arnn_conv1d_layer *layer);
/* Output steps for T input steps (Keras conv_output_length); 0 when T is too
 * short for a valid convolution. */
size_t arnn_conv1d_layer_out_steps(const arnn_conv1d_layer *layer, size_t T);
size_t arnn_conv1d_layer_scratch_floats(const arnn_conv1d_layer *layer, size_t B, size_t T);
/* y[B][T'][out] from x[B][T][in]; nothing is written when T' = 0. */
void arnn_conv1d_layer_apply(const arnn_conv1d_layer *layer, size_t B, size_t T, const float *x, float *y,
                             float *scratch);

/* ---- pooling ---- */

typedef enum { ARNN_POOL_MAX = 0, ARNN_POOL_AVG = 1 } arnn_pool_mode;

/* MaxPooling1D / AveragePooling1D output steps (Keras conv_output_length with
 * dilation 1); 0 when too short. padding VALID or SAME only. */
size_t arnn_pool1d_out_steps(size_t T, size_t pool, size_t stride, arnn_padding_mode padding);
/* y[B][T'][F]; SAME padding: windows are clipped to the sequence (average
 * divides by the number of steps inside, as Keras/TensorFlow do). */
void arnn_pool1d_apply(arnn_pool_mode mode, size_t pool, size_t stride, arnn_padding_mode padding, size_t B,
                       size_t T, size_t F, const float *x, float *y);
/* y[B][F]. mask may be NULL. Average over the kept steps (a sample with no
 * kept step gives 0, not NaN). Max: Keras' GlobalMaxPooling1D takes no mask
 * (pass NULL for it); with a mask, the max over the kept steps, and 0 for a
 * sample with none (pool.c). */
void arnn_global_pool1d_apply(arnn_pool_mode mode, size_t B, size_t T, size_t F, const float *x,
                              const unsigned char *mask, float *y);

/* ---- normalization (last axis) ---- */

typedef struct arnn_norm_layer arnn_norm_layer;
/* BatchNormalization (inference): y = (x - mean) * (gamma / sqrt(var + eps)) + beta, precomputed as a
 * per-feature scale and shift at creation. gamma NULL = ones, beta NULL = zeros (scale/center False);
 * epsilon finite and >= 0. */
arnn_status arnn_batch_norm_create(size_t F, const float *gamma, const float *beta, const float *mean,
                                   const float *var, float epsilon, arnn_norm_layer **layer);
/* LayerNormalization over the last axis: y = (x - mu) / sqrt(var + eps) * gamma + beta (biased
 * variance); gamma / beta NULL as above. */
arnn_status arnn_layer_norm_create(size_t F, const float *gamma, const float *beta, float epsilon,
                                   arnn_norm_layer **layer);
void arnn_norm_layer_destroy(arnn_norm_layer *layer);
/* rows x F, in place allowed (y == x). */
void arnn_norm_layer_apply(const arnn_norm_layer *layer, size_t rows, const float *x, float *y);

/* ---- merges and shape ops ---- */

typedef enum {
  ARNN_MERGE_ADD = 0,
  ARNN_MERGE_SUBTRACT,
  ARNN_MERGE_MULTIPLY,
  ARNN_MERGE_AVERAGE,
  ARNN_MERGE_MAXIMUM,
  ARNN_MERGE_MINIMUM
} arnn_merge_mode;

/* y[i] = op over the n inputs (element count `count` each); subtract needs
 * n == 2; average divides the left-to-right sum by n. y may be one of the
 * inputs. */
void arnn_merge_elementwise(arnn_merge_mode mode, size_t n, const float *const *x, size_t count, float *y);
/* Concatenate n inputs of per-sample shape [rows][cols_i] along the last
 * axis (axis 1; rows = rows[0]) or, with axis 0, [rows_i][cols] along the
 * steps axis (cols = cols[0]). */
void arnn_concat(size_t B, size_t n, const float *const *x, const size_t *rows, const size_t *cols, int axis,
                 float *y);
/* Per sample [rows][cols] -> [cols][rows]. */
void arnn_transpose(size_t B, size_t rows, size_t cols, const float *x, float *y);
/* Per sample [F] -> [n][F]. */
void arnn_repeat_vector(size_t B, size_t F, size_t n, const float *x, float *y);
/* Keras Dot (batch_dot) on per-sample matrices a [ra][ca], b [rb][cb] with
 * contraction axes (axa, axb) in {0, 1}, optional L2 normalization along the
 * contracted axes first (normalize=True, Keras 3's x * min(rsqrt(sum x^2),
 * 1e7)). Output [free a][free b] per sample; rank-1 operands are passed as
 * [1][F] with axis 1. scratch: ra*ca + rb*cb floats, used only when
 * normalize (may be NULL otherwise). */
size_t arnn_dot_scratch_floats(size_t B, size_t ra, size_t ca, size_t rb, size_t cb);
void arnn_dot(size_t B, size_t ra, size_t ca, const float *a, int axa, size_t rb, size_t cb, const float *b,
              int axb, int normalize, float *y, float *scratch);

/* ---- generic recurrent layer (any cell activations, SimpleRNN) ---- */

typedef enum { ARNN_CELL_LSTM = 0, ARNN_CELL_GRU = 1, ARNN_CELL_SIMPLE = 2 } arnn_cell_kind;

typedef struct {
  arnn_cell_kind cell;
  size_t input_size, units;
  arnn_act activation;           /* tanh for the fast path */
  arnn_act recurrent_activation; /* LSTM/GRU gates */
  int reset_after;               /* GRU */
  int go_backwards;              /* read the sequence (and mask) reversed; outputs stay in processing order */
  int zero_output_for_mask;      /* masked step output: 0 (1) or the previous output (0) */
  const float *kernel;           /* [input_size][G*units] */
  const float *recurrent_kernel; /* [units][G*units] */
  const float *bias;             /* [G*units] or GRU reset_after [2][G*units]; NULL = no bias */
} arnn_generic_rnn_desc;

/* One direction of one recurrent layer for cells or activations the fused
 * kernels do not cover (SimpleRNN; activation or recurrent_activation other
 * than tanh / sigmoid / hard_sigmoid). The input projection runs through the
 * packed GEMM; the step is a plain loop with fmaf in the fused kernels' order
 * (acc = xp, acc = fma(h[k], R[k][j], acc) for k in order). */
typedef struct arnn_generic_rnn arnn_generic_rnn;
arnn_status arnn_generic_rnn_create(const arnn_generic_rnn_desc *desc, arnn_generic_rnn **rnn);
void arnn_generic_rnn_destroy(arnn_generic_rnn *rnn);
size_t arnn_generic_rnn_scratch_floats(const arnn_generic_rnn *rnn, size_t B, size_t T);
/* y: return_sequences ? [B][T][units] (step t of the output = the t-th step
 * processed) : [B][units] (the final state's output). Initial state zero. */
void arnn_generic_rnn_apply(const arnn_generic_rnn *rnn, size_t B, size_t T, const float *x,
                            const unsigned char *mask, int return_sequences, float *y, float *scratch);

#endif
