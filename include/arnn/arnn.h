/* arnn: inference for Keras attention-RNN models with hand-written SIMD kernels.
 *
 * The public C API. Its groups, in the order they appear below:
 *   - library: version, status strings, the ISA and kernels in use;
 *   - elementwise math: tanh, exp, sigmoid over float arrays;
 *   - thread pools, passed to the calls that can use several threads;
 *   - recurrent layers: LSTM / GRU, uni- or bidirectional, from Keras weights;
 *   - attention pooling and dense heads, usable on any encoder's output;
 *   - model files: load a converted Keras model, describe it, predict;
 *   - the Keras Tokenizer: raw text to token ids.
 *
 * Rules that hold for every function (each declaration adds its own):
 *   - Errors. A function that can fail returns an arnn_status; it never
 *     aborts, prints or exits. On failure an object out-parameter is set to
 *     NULL and nothing is written to the outputs, except a message into the
 *     caller's errbuf where a function takes one and what a declaration says
 *     otherwise. The statuses and when they are returned are listed at
 *     arnn_status.
 *   - Ownership. The caller owns every array it passes: the library reads
 *     inputs during the call only and copies what it keeps (weights, tables,
 *     file contents), so they may be freed as soon as the call returns.
 *     Objects (threadpool, layer, dense head, model, tokenizer) are created
 *     by their create/load function and freed by their destroy/free function
 *     (NULL is accepted there). Strings the library returns are owned by the
 *     library (static) or by the object they describe, and live as long as it.
 *   - Threads. Every function may be called from any thread. Layers, heads,
 *     models and tokenizers are immutable once created: any number of threads
 *     may use one at the same time. An object must not be freed while a call
 *     is using it.
 *   - Floating point. Calls that run layers set flush-to-zero and
 *     denormals-are-zero (x86 MXCSR FTZ/DAZ, AArch64 FPCR FZ) for their
 *     duration on every thread working for them, and restore the caller's
 *     mode. The elementwise functions run in the caller's mode.
 *   - Same bits everywhere. Every kernel fixes the order of its binary32
 *     operations, so results do not depend on the ISA (scalar, AVX2, AVX-512,
 *     NEON), the thread count or the batch composition.
 *   - Versioned structs. Every struct passed by pointer starts with
 *     size_t struct_size, set by its _init function or to sizeof(the struct).
 *     Fields are only ever appended. The library reads (for options and
 *     descriptors) or writes (for info structs) only the first struct_size
 *     bytes, so a program built against an older header keeps working: the
 *     fields it does not know take their defaults. A struct_size below the
 *     struct's size in the version that introduced it is
 *     ARNN_ERR_INVALID_ARGUMENT. A larger one (a newer header) is accepted
 *     when the fields this library does not know are zero, and
 *     ARNN_ERR_UNSUPPORTED otherwise; an info struct is filled up to this
 *     library's size and its struct_size set to the number of bytes filled.
 *
 * CPU dispatch. On first use the library detects the CPU once (CPUID and
 * XGETBV on x86-64, hwcaps on AArch64) and picks, for every op, the best
 * kernel among scalar < avx2 (AVX2+FMA) < avx512 (AVX-512 F/BW/DQ/VL) on
 * x86-64, or scalar < neon on AArch64. The environment variable ARNN_ISA
 * (scalar, avx2, avx512, neon), read once at that moment, caps the level: it
 * never enables what the CPU lacks; an unknown value or one above the CPU is
 * ignored and the reason is reported by arnn_isa_note().
 */
#ifndef ARNN_ARNN_H
#define ARNN_ARNN_H

#include <stddef.h>

#define ARNN_VERSION_MAJOR 0
#define ARNN_VERSION_MINOR 1
#define ARNN_VERSION_PATCH 0
#define ARNN_VERSION_NUMBER (ARNN_VERSION_MAJOR * 10000 + ARNN_VERSION_MINOR * 100 + ARNN_VERSION_PATCH)
#define ARNN_VERSION_STRING "0.1.0"

#if defined(_WIN32) && defined(ARNN_BUILDING_SHARED)
#define ARNN_API __declspec(dllexport)
#elif defined(__GNUC__) || defined(__clang__)
#define ARNN_API __attribute__((visibility("default")))
#else
#define ARNN_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Status codes. 0 is success; every other value is an error. */
typedef enum {
  ARNN_OK = 0,
  /* A NULL pointer, a zero or inconsistent size, an unknown enum value or
   * flag, a struct_size too small, an input the call cannot take (e.g. ids
   * for a dense-input model), invalid UTF-8 text. Any function. */
  ARNN_ERR_INVALID_ARGUMENT = 1,
  /* An allocation failed (or a thread could not be started). Any function
   * that creates, loads or runs. */
  ARNN_ERR_OUT_OF_MEMORY = 2,
  /* A file could not be opened or read: arnn_model_load, arnn_tokenizer_load. */
  ARNN_ERR_IO = 3,
  /* A model or tokenizer file is truncated, inconsistent, over a limit or
   * hostile: the loaders. */
  ARNN_ERR_MALFORMED_MODEL = 4,
  /* Valid input this version cannot handle: a newer model format version, a
   * layer or option it does not implement (loaders, arnn_rnn_layer_create),
   * a struct from a newer header with a field set that this library does not
   * know, a tokenizer without utf8proc support. */
  ARNN_ERR_UNSUPPORTED = 5,
  /* A step count the model cannot run although it is within its maximum:
   * steps other than a fixed T, or fewer steps than a layer needs (a
   * convolution window): arnn_model_output_shape, arnn_model_run. */
  ARNN_ERR_SHAPE_MISMATCH = 6,
  /* A value outside its range: a token id outside the vocabulary, a length
   * or step count over its maximum, sizes whose product overflows, an output
   * buffer too small (arnn_tokenizer_encode). */
  ARNN_ERR_OUT_OF_RANGE = 7
} arnn_status;

/* Library version as "MAJOR.MINOR.PATCH"; compare with ARNN_VERSION_STRING to
 * detect a header/library mismatch. */
ARNN_API const char *arnn_version(void);

/* A short English description of a status code (never NULL). */
ARNN_API const char *arnn_status_str(arnn_status status);

/* Name of the active ISA level: "scalar", "avx2", "avx512" or "neon". */
ARNN_API const char *arnn_isa(void);

/* Why the ARNN_ISA setting was ignored, or which level it capped; "" when
 * ARNN_ISA is unset or empty. */
ARNN_API const char *arnn_isa_note(void);

/* Name of the kernel an op resolved to, e.g. arnn_kernel_name("vtanh") ->
 * "arnn_f32_vtanh__avx512"; NULL for an unknown op or op == NULL. Ops:
 * "vtanh", "vexp", "vsigmoid" (elementwise), "gemm" (the recurrent layers'
 * input projection), "lstm_step", "gru_step" (fused recurrent steps),
 * "attention_pool", "dense_head", "sdpa" (fused scaled-dot-product and
 * additive attention: scores, mask, softmax and weighted values in one
 * pass, for the Keras Attention, AdditiveAttention and MultiHeadAttention
 * layers). */
ARNN_API const char *arnn_kernel_name(const char *op);

/* ---- elementwise math ----
 *
 * arnn_vtanh_f32: y[i] = tanh(x[i]); arnn_vexp_f32: y[i] = e^x[i];
 * arnn_vsigmoid_f32: y[i] = 1 / (1 + e^-x[i]).
 *  - Arguments: for 0 <= i < n; any n (0 does nothing), any alignment,
 *    in place allowed (y == x; other overlaps are not), nothing is read or
 *    written outside [0, n). x and y may be NULL only when n == 0 (a NULL
 *    pointer with n > 0 does nothing: these functions return no status).
 *  - Accuracy, on every ISA: at most 2 ULP from the correctly rounded result
 *    for every input whose result is a normal float (checked over all 2^32
 *    inputs against double precision). A result below FLT_MIN may be flushed
 *    to zero.
 *  - Same bits on every ISA: the scalar, AVX2, AVX-512 and NEON kernels
 *    evaluate the same sequence of binary32 operations.
 *  - Special values: NaN -> NaN; tanh(+-inf) = +-1, tanh(-0) = -0, |tanh| <= 1;
 *    exp(-inf) = 0, exp(+inf) = +inf, exp(x) = +inf for x > ln(FLT_MAX);
 *    sigmoid(-inf) = 0, sigmoid(+inf) = 1, 0 <= sigmoid <= 1.
 *  - Denormals: these functions run in the caller's floating-point mode and do
 *    not touch MXCSR / FPCR. The contract holds with and without FTZ/DAZ: with
 *    DAZ a subnormal input is read as zero (tanh and sigmoid then return the
 *    value at +-0, exp returns 1), with FTZ a subnormal result becomes zero;
 *    both are within the contract because such results are below FLT_MIN.
 *    In either mode all ISAs of one architecture agree bit for bit. One
 *    exception across architectures: AArch64 FZ detects tininess before
 *    rounding, x86 FTZ after, so under FZ tanh(+-FLT_MIN) (exact value just
 *    below FLT_MIN) is flushed to +-0 on AArch64 and is +-FLT_MIN on x86.
 *  - Thread-safe, no allocation. */
ARNN_API void arnn_vtanh_f32(const float *x, float *y, size_t n);
ARNN_API void arnn_vexp_f32(const float *x, float *y, size_t n);
ARNN_API void arnn_vsigmoid_f32(const float *x, float *y, size_t n);


/* ---- thread pools ----
 *
 * A pool is created once and passed to the calls that can use several
 * threads (arnn_rnn_layer_forward*, and the model calls through
 * arnn_predict_options.pool); no thread is ever created per call. Passing
 * NULL instead runs the call on the calling thread only: that is the default,
 * and how a caller asks for one thread. Several threads may run calls on the
 * same pool at once: their runs are serialised (use one pool per calling
 * thread to run them side by side). */
typedef struct arnn_threadpool arnn_threadpool;
#define ARNN_THREADPOOL_MAX_THREADS 1024
/* Starts threads - 1 worker threads (the thread making a call is the last
 * one); threads == 0 chooses the number of physical cores (hwloc; the online
 * logical CPUs when the library was built without hwloc). Worker k is pinned
 * to core (k + 1) mod cores (one hardware thread of it, with hwloc); the
 * calling thread is never re-pinned. Errors: ARNN_ERR_INVALID_ARGUMENT (pool
 * NULL, threads > ARNN_THREADPOOL_MAX_THREADS), ARNN_ERR_OUT_OF_MEMORY (also
 * when a thread cannot be started). */
ARNN_API arnn_status arnn_threadpool_create(size_t threads, arnn_threadpool **pool);
/* The same with flags: ARNN_THREADPOOL_NO_PIN leaves the workers unpinned
 * (for callers that manage affinity themselves). Unknown flags:
 * ARNN_ERR_INVALID_ARGUMENT. */
#define ARNN_THREADPOOL_NO_PIN 1u
ARNN_API arnn_status arnn_threadpool_create_ex(size_t threads, unsigned flags, arnn_threadpool **pool);
/* Joins the workers and frees the pool; NULL is ignored. No call may be
 * using it. */
ARNN_API void arnn_threadpool_destroy(arnn_threadpool *pool);
/* Number of threads a run uses, the caller included (1 for NULL). */
ARNN_API size_t arnn_threadpool_size(const arnn_threadpool *pool);

/* ---- recurrent layers (LSTM / GRU, uni- or bidirectional) ----
 *
 * LSTM (gates i, f, c, o): z = x K + h R + b; i = s(z_i), f = s(z_f),
 * o = s(z_o), c' = f c + i tanh(z_c), h' = o tanh(c').
 * GRU (gates z, r, h): z = s(x K_z + h R_z + b_z), r likewise,
 * reset_after = 1: hh = tanh(x K_h + b_in_h + r (h R_h + b_rec_h)),
 * reset_after = 0: hh = tanh(x K_h + b_h + (r h) R_h); h' = z h + (1 - z) hh.
 * s is the recurrent activation. These are the Keras layers' equations. */
typedef enum { ARNN_RNN_LSTM = 0, ARNN_RNN_GRU = 1 } arnn_rnn_cell;

/* The gates' activation (Keras `recurrent_activation`). */
typedef enum {
  ARNN_RNN_SIGMOID = 0,             /* 1 / (1 + e^-x) (tf.keras 2.x default) */
  ARNN_RNN_HARD_SIGMOID_KERAS2 = 1, /* clip(0.2 x + 0.5, 0, 1) (Keras <= 2.x hard_sigmoid) */
  ARNN_RNN_HARD_SIGMOID_KERAS3 = 2  /* clip(x / 6 + 0.5, 0, 1) (Keras 3 hard_sigmoid) */
} arnn_rnn_activation;

/* How the weights are stored. */
typedef enum {
  /* LSTM / GRU: kernel [E, G*H], recurrent_kernel [H, G*H] (row-major, gate
   * blocks i,f,c,o or z,r,h along the columns), bias [G*H], or for GRU with
   * reset_after = 1 bias [2, G*H] (input bias row, then recurrent bias row). */
  ARNN_RNN_WEIGHTS_KERAS = 0,
  /* CuDNNLSTM / CuDNNGRU as Keras 2.x saves them: kernel [E, G*H] whose gate
   * blocks hold CuDNN's [H, E] matrices in row-major order, recurrent_kernel
   * [H, G*H] whose gate blocks are transposed, bias [2*G*H] (input biases,
   * then recurrent biases). Converted at creation exactly as Keras'
   * preprocess_weights_for_loading() does. CuDNNGRU implies reset_after = 1. */
  ARNN_RNN_WEIGHTS_CUDNN = 1
} arnn_rnn_weights_layout;

/* The type the layer keeps its kernels in. */
typedef enum { ARNN_RNN_WEIGHTS_F32 = 0, ARNN_RNN_WEIGHTS_BF16 = 1 } arnn_rnn_weights_type;

/* Output at a masked timestep (the state is never changed by one). */
typedef enum {
  /* the previous output, i.e. the current h (Keras 2.2 K.rnn; a plain
   * tf.keras RNN layer); zeros before the first unmasked step */
  ARNN_RNN_MASKED_PREVIOUS = 0,
  /* zeros (tf.keras 2.x and Keras 3 Bidirectional with return_sequences,
   * which force zero_output_for_mask) */
  ARNN_RNN_MASKED_ZERO = 1
} arnn_rnn_masked_output;

/* Everything a layer is made from. Call arnn_rnn_layer_desc_init() first,
 * then set the fields; pointers are only read during arnn_rnn_layer_create()
 * (the weights are copied and packed). G = 4 for LSTM, 3 for GRU. */
typedef struct {
  size_t struct_size; /* sizeof(arnn_rnn_layer_desc); arnn_rnn_layer_desc_init sets it */
  arnn_rnn_cell cell;
  size_t input_size; /* E */
  size_t units;      /* H */
  int bidirectional; /* 0: output [B,T,H]; 1: [B,T,2H] = concat(forward, backward) */
  arnn_rnn_activation recurrent_activation; /* default ARNN_RNN_SIGMOID */
  int reset_after;                          /* GRU only; default 1 */
  arnn_rnn_weights_layout layout;           /* default ARNN_RNN_WEIGHTS_KERAS */
  arnn_rnn_masked_output masked_output;     /* default ARNN_RNN_MASKED_PREVIOUS */
  /* Per direction ([0] forward, [1] backward, only [0] when unidirectional).
   * bias may be NULL (use_bias = False). */
  const float *kernel[2];
  const float *recurrent_kernel[2];
  const float *bias[2];
  /* Optional embedding [vocab_size, input_size] for arnn_rnn_layer_forward_ids.
   * When vocab_size * (G*H(padded) * directions + 16) * 4 bytes <= fold_budget, the
   * layer precomputes embedding x kernel + bias once and a timestep becomes a
   * row lookup ("folding"); otherwise it keeps a copy of the table. Folding
   * gives the same bits as not folding. fold_budget: default 64 MiB; 0 never
   * folds. */
  const float *embedding;
  size_t vocab_size;
  size_t fold_budget;
  int mask_zero; /* forward_ids with mask == NULL: id 0 is a masked step (Keras mask_zero) */
  /* ARNN_RNN_WEIGHTS_BF16: the kernel and recurrent_kernel are rounded to
   * bfloat16 (nearest, ties to even) at creation, and the recurrent step
   * streams W_hh as bf16 (half the bytes per step). Weights that are already
   * bf16 values (a model file's BF16 tensors, widened) are kept exactly. The
   * layer then computes with the rounded weights in float32, in the float32
   * kernels' order: still the same bits on every ISA. Default
   * ARNN_RNN_WEIGHTS_F32. */
  arnn_rnn_weights_type weights;
} arnn_rnn_layer_desc;

typedef struct arnn_rnn_layer arnn_rnn_layer;

/* Fills *desc with the defaults above (LSTM, sigmoid, reset_after 1, Keras
 * layout, previous-output masking, 64 MiB fold budget, everything else 0)
 * and sets struct_size. NULL is ignored. */
ARNN_API void arnn_rnn_layer_desc_init(arnn_rnn_layer_desc *desc);

/* Creates an immutable layer from *desc (read as the versioned-struct rule at
 * the top says). Errors: ARNN_ERR_INVALID_ARGUMENT (NULL pointers, a
 * struct_size too small, zero sizes, unknown enum values, an embedding
 * without vocab_size, vocab_size over INT_MAX, sizes whose byte count
 * overflows), ARNN_ERR_UNSUPPORTED (CuDNN GRU with reset_after = 0; a
 * descriptor from a newer header with a field set that this library does not
 * know), ARNN_ERR_OUT_OF_MEMORY. On error *layer is NULL. */
ARNN_API arnn_status arnn_rnn_layer_create(const arnn_rnn_layer_desc *desc, arnn_rnn_layer **layer);
/* Frees a layer and its cached scratch block; NULL is ignored. No call may be
 * using it. */
ARNN_API void arnn_rnn_layer_destroy(arnn_rnn_layer *layer);
/* H or 2H: the last dimension of the output. 0 for NULL. */
ARNN_API size_t arnn_rnn_layer_output_size(const arnn_rnn_layer *layer);
/* 1 when the layer folded its embedding (see fold_budget), else 0. */
ARNN_API int arnn_rnn_layer_is_folded(const arnn_rnn_layer *layer);

/* y[B, T, output_size] = layer(x[B, T, E]) with an optional mask[B, T]
 * (nonzero = keep; NULL = every step kept). A masked step leaves the state
 * unchanged and outputs per masked_output; the backward direction reads the
 * sequence and the mask reversed and its outputs are re-reversed (Keras
 * Bidirectional). Initial states are zero.
 * - pool: NULL = calling thread only; otherwise the pool's threads (batch 1:
 *   the two directions run concurrently; larger batches: directions and
 *   groups of sequences are spread over the threads).
 * - Thread safety: the layer is immutable; any number of threads may call
 *   forward on one layer at once. Each call uses its own scratch memory
 *   (about B*T*G*H*4 bytes per direction for the input projection plus a few
 *   H-sized state vectors), obtained once per call, outside the time loop:
 *   the layer keeps the last call's block in a one-entry cache (so repeated
 *   calls do not page-fault a fresh allocation) and a concurrent call that
 *   finds the cache taken allocates its own. The cached block is freed by
 *   arnn_rnn_layer_destroy().
 * - FTZ/DAZ are set on every thread working on the call and restored.
 * - Results do not depend on the ISA, the pool, the batch composition or
 *   folding: same bits everywhere.
 * Errors: ARNN_ERR_INVALID_ARGUMENT (NULL layer/x/y, batch or steps 0, sizes
 * overflowing), ARNN_ERR_OUT_OF_MEMORY (nothing written then). */
ARNN_API arnn_status arnn_rnn_layer_forward(const arnn_rnn_layer *layer, arnn_threadpool *pool, size_t batch,
                                            size_t steps, const float *x, const unsigned char *mask, float *y);
/* Same with token ids[B, T] (int, 32-bit on every supported platform) for a
 * layer created with an embedding. Every id is
 * checked first: one outside [0, vocab_size) returns ARNN_ERR_OUT_OF_RANGE and
 * nothing is written. A layer without embedding returns
 * ARNN_ERR_INVALID_ARGUMENT. mask == NULL with desc.mask_zero masks id 0. */
ARNN_API arnn_status arnn_rnn_layer_forward_ids(const arnn_rnn_layer *layer, arnn_threadpool *pool, size_t batch,
                                                size_t steps, const int *ids, const unsigned char *mask, float *y);

/* ---- attention pooling and dense head ----
 *
 * The last two layers of an attention-RNN text classifier (encoder ->
 * feed-forward attention pooling over the steps -> dense classifier), each
 * usable on its own on the output of any encoder. Both functions are
 * thread-safe (a dense head object is immutable after creation and may be
 * applied from several threads at once), never allocate (apply) and set
 * FTZ/DAZ for their duration, restoring the caller's mode on return.
 * Same bits on every ISA (one fixed operation order). */

/* Normalization of the attention weights, with the scores
 * e_t = tanh(x_t . w + b_t) and the mask m_t (1 = keep, 0 = padding):
 *  ARNN_ATTENTION_EPSILON: the feed-forward attention layer common in Keras
 *      text classifiers, which adds Keras' epsilon to the denominator:
 *      a_t = exp(e_t) m_t / (sum_s exp(e_s) m_s + epsilon)
 *  ARNN_ATTENTION_SOFTMAX: the exact softmax over the steps (no epsilon):
 *      a_t = exp(e_t) m_t / sum_s exp(e_s) m_s
 *  (e_t lies in [-1, 1], so no maximum needs subtracting.) */
typedef enum {
  ARNN_ATTENTION_EPSILON = 0,
  ARNN_ATTENTION_SOFTMAX = 1
} arnn_attention_form;

#define ARNN_ATTENTION_DEFAULT_EPSILON 1e-7f /* Keras' K.epsilon() */

typedef struct {
  size_t struct_size; /* sizeof(arnn_attention_options); arnn_attention_options_init sets it */
  arnn_attention_form form;
  float epsilon; /* ARNN_ATTENTION_EPSILON only: finite, >= 0 (0 gives the
                    softmax form); ignored by ARNN_ATTENTION_SOFTMAX */
} arnn_attention_options;

/* Fills *options with the defaults: { ARNN_ATTENTION_EPSILON,
 * ARNN_ATTENTION_DEFAULT_EPSILON } and struct_size. */
ARNN_API void arnn_attention_options_init(arnn_attention_options *options);

/* Fused feed-forward attention pooling over a batch, one pass over x:
 *   e[b][t] = tanh(x[b][t][:] . w + bias[t])        (bias term only if bias != NULL)
 *   u[b][t] = exp(e[b][t]) if mask == NULL or mask[b][t] != 0, else 0
 *   d[b]    = sum_t u[b][t] + eps                   (eps = 0 in the SOFTMAX form)
 *   context[b][f] = sum_t u[b][t] x[b][t][f] / d[b]
 *   weights[b][t] = u[b][t] / d[b]                  (if weights != NULL)
 * Shapes (row-major, no padding, any alignment):
 *   x [batch][steps][features], w [features], bias [steps] or NULL,
 *   mask [batch][steps] or NULL (nonzero = keep the step, 0 = padding),
 *   context [batch][features] (output), weights [batch][steps] or NULL (output).
 * options NULL means the defaults of arnn_attention_options_init().
 * Masked steps are skipped entirely: their rows of x are never added to the
 * context (they may hold anything, even NaN) and their weights are 0.
 * A row whose steps are all masked gives context = 0 and weights = 0 (never
 * NaN), in both forms. The weights of a row sum to S / (S + eps) (1 in the
 * SOFTMAX form) up to rounding.
 * The outputs must not overlap the inputs or each other.
 * Accuracy, from the fixed operation order (u = 2^-24): each score within
 * (features/16 + 6) u (sum_f |x_tf w_f| + |b_t|); each weight within a
 * relative 2 (2 rho + (steps + 4) u), rho being the largest relative error of
 * exp(e_t) that the score error causes plus 6 u; the context likewise with
 * (2 steps + 4) u. The test suite checks these bounds against float64.
 * Returns ARNN_ERR_INVALID_ARGUMENT for NULL x, w or context, batch, steps or
 * features == 0, an options struct_size too small, an unknown form, or an
 * epsilon that is negative or not finite; ARNN_ERR_UNSUPPORTED for options
 * from a newer header with a field set that this library does not know;
 * ARNN_ERR_OUT_OF_RANGE when batch * steps * features (or the byte size of x)
 * overflows size_t. Nothing is written on error. */
ARNN_API arnn_status arnn_attention_pool_f32(size_t batch, size_t steps, size_t features, const float *x,
                                             const float *w, const float *bias, const unsigned char *mask,
                                             const arnn_attention_options *options, float *context,
                                             float *weights);

/* Output activation of a dense head. */
typedef enum {
  ARNN_DENSE_LINEAR = 0,  /* y = z (logits) */
  ARNN_DENSE_SIGMOID = 1, /* y = 1 / (1 + e^-z) per class (C = 1, or multi-label) */
  ARNN_DENSE_SOFTMAX = 2  /* y = e^(z - max z) / sum e^(z - max z) over the classes */
} arnn_dense_activation;

/* A dense classifier head z = x K + bias, then the activation. Opaque and
 * immutable: the weights are packed once at creation. */
typedef struct arnn_dense_head arnn_dense_head;

/* Creates a head for `features` inputs and `classes` outputs (small C: 1 to a
 * few dozen is what it is written for; any C works). kernel is the Keras
 * Dense kernel [features][classes] row-major; bias [classes] or NULL (no
 * bias). The arrays are copied; the caller may free them afterwards.
 * Returns ARNN_ERR_INVALID_ARGUMENT for NULL kernel or out, features or
 * classes == 0 or an unknown activation; ARNN_ERR_OUT_OF_RANGE when the sizes
 * overflow; ARNN_ERR_OUT_OF_MEMORY. *out is set to NULL on error. */
ARNN_API arnn_status arnn_dense_head_create(size_t features, size_t classes, const float *kernel, const float *bias,
                                            arnn_dense_activation activation, arnn_dense_head **out);

/* y[b][:] = activation(x[b][:] K + bias) for b < batch; x [batch][features],
 * y [batch][classes], row-major, any alignment, y must not overlap x.
 * Softmax is stable (the maximum logit is subtracted first), so large logits
 * neither overflow nor give NaN. Returns ARNN_ERR_INVALID_ARGUMENT for NULL
 * head, x or y or batch == 0, ARNN_ERR_OUT_OF_RANGE when batch * features or
 * batch * classes overflows. */
ARNN_API arnn_status arnn_dense_head_apply(const arnn_dense_head *head, size_t batch, const float *x, float *y);

/* Number of inputs / outputs of a head (0 for NULL). */
ARNN_API size_t arnn_dense_head_features(const arnn_dense_head *head);
ARNN_API size_t arnn_dense_head_classes(const arnn_dense_head *head);

/* Frees a head; NULL is a no-op. */
ARNN_API void arnn_dense_head_free(arnn_dense_head *head);


/* ---- model files ----
 *
 * An arnn model file is a safetensors file (docs/model-format.md): the
 * architecture in the header's __metadata__, the weights as float32 tensors in
 * plain Keras layout. tools/arnn-convert writes one from a Keras model.
 *
 * Loading is strict and bounded: a header over 16 MiB, offsets outside the
 * file, overlapping or missing tensors, a wrong dtype or shape, an unknown
 * tensor, a metadata value out of range, or a NaN/inf weight are all refused
 * with ARNN_ERR_MALFORMED_MODEL (ARNN_ERR_IO when the file cannot be read,
 * ARNN_ERR_UNSUPPORTED for a newer format version or a layer this version
 * does not implement, ARNN_ERR_INVALID_ARGUMENT for NULL path, data or
 * model, ARNN_ERR_OUT_OF_MEMORY) and an English message in errbuf (always
 * NUL-terminated when errbuf_size > 0; errbuf may be NULL). The weights are copied, so the file or buffer may go
 * away after loading. A loaded model is immutable: every function below may be
 * called on it from many threads at once. */

typedef struct arnn_model arnn_model; /* opaque */

typedef enum { ARNN_INPUT_IDS = 0, ARNN_INPUT_DENSE = 1 } arnn_input_kind;
typedef enum {
  ARNN_PADDING_UNKNOWN = 0,
  ARNN_PADDING_PRE = 1, /* padding before the tokens (Keras pad_sequences default) */
  ARNN_PADDING_POST = 2 /* padding after the tokens */
} arnn_padding;

/* The architecture of a loaded model: a versioned struct (see the top of this
 * header); set struct_size = sizeof(arnn_model_info) before calling
 * arnn_model_get_info. For a graph model (docs/model-graph.md) the fields
 * describe its first input, first recurrent layer, first attention pooling
 * and first output. */
typedef struct {
  size_t struct_size;
  unsigned format_version;
  arnn_input_kind input;   /* token ids through an Embedding, or dense [T,E] vectors */
  size_t T;                /* steps per sequence (0: a graph model without a fixed T) */
  size_t E;                /* embedding / input feature size */
  size_t V;                /* vocabulary size (ids input; 0 for dense input) */
  size_t H;                /* hidden units per direction */
  size_t C;                /* output classes */
  arnn_rnn_cell cell;
  int gru_reset_after;     /* GRU only: 1 = reset gate after the recurrent matmul (bias [2,3H]) */
  arnn_rnn_activation recurrent_activation;
  int mask_zero;           /* ids input: id 0 is padding and is masked */
  arnn_padding padding;    /* informational: where the training data was padded */
  arnn_attention_form attention; /* the pooling's normalization (epsilon 1e-7, or softmax) */
  int attention_bias;      /* per-step attention bias b[T] present */
  arnn_dense_activation head; /* the first output's activation when a dense layer makes it, else ARNN_DENSE_LINEAR */
} arnn_model_info;

/* Reads and validates the model file at `path`. On success *model is a new
 * model (free it with arnn_model_free); on failure *model is NULL. */
ARNN_API arnn_status arnn_model_load(const char *path, arnn_model **model, char *errbuf, size_t errbuf_size);

/* The same from a model file image in memory (`size` bytes at `data`). */
ARNN_API arnn_status arnn_model_load_memory(const void *data, size_t size, arnn_model **model, char *errbuf,
                                            size_t errbuf_size);

/* Load flags for the _ex variants (0 = the plain functions' behaviour).
 * ARNN_LOAD_BF16_WEIGHTS: round the kernel and recurrent_kernel of every
 * LSTM/GRU layer to bfloat16 at load (nearest, ties to even), as
 * `arnn-convert --weights bf16` does to the file, so a float32 file runs as
 * its bf16 conversion would (same bits). Unknown flags:
 * ARNN_ERR_INVALID_ARGUMENT. */
#define ARNN_LOAD_BF16_WEIGHTS 1u
ARNN_API arnn_status arnn_model_load_ex(const char *path, unsigned flags, arnn_model **model, char *errbuf,
                                        size_t errbuf_size);
ARNN_API arnn_status arnn_model_load_memory_ex(const void *data, size_t size, unsigned flags, arnn_model **model,
                                               char *errbuf, size_t errbuf_size);

/* Frees a model; NULL is allowed. */
ARNN_API void arnn_model_free(arnn_model *model);

/* Fills the first info->struct_size bytes of *info (at most this library's
 * sizeof(arnn_model_info), which becomes info->struct_size). Returns
 * ARNN_ERR_INVALID_ARGUMENT for NULL or a struct_size smaller than the first
 * version of the struct. */
ARNN_API arnn_status arnn_model_get_info(const arnn_model *model, arnn_model_info *info);

/* Name of output class `index` (UTF-8, NUL-terminated, owned by the model), from
 * the file's labels or "0", "1", ... when it has none; NULL when index >= C or
 * model is NULL. */
ARNN_API const char *arnn_model_label(const arnn_model *model, size_t index);

/* Prediction options: a versioned struct (see the top of this header).
 * A loaded model holds its layers ready (weights packed, the
 * embedding folded into the first layer's input projection when the table
 * fits 256 MiB); each call obtains its own scratch block once (the
 * activations of its layers, with buffers reused by liveness), so any number
 * of threads may predict on one model at once. The model keeps the blocks
 * of recent calls (one per concurrent caller, up to 4) for the next ones:
 * warm pages instead of fresh ones; a call that finds none allocates its
 * own. They are freed with the model. */
typedef struct {
  size_t struct_size;      /* sizeof(arnn_predict_options); arnn_predict_options_init sets it */
  arnn_threadpool *pool;   /* threads to run on; NULL = the calling thread only */
  /* [batch] number of real steps of each sequence (<= T), or NULL: every row is
   * T real steps. The other T - lengths[b] slots of row b are padding, before
   * the real steps unless the model says padding = post, and are replaced by
   * what Keras' pad_sequences writes (id 0 / zero vectors) whatever they hold.
   * With mask_zero, id 0 is masked wherever it appears. */
  const size_t *lengths;
  float *attention;        /* [batch, T] output: the attention weights, or NULL */
} arnn_predict_options;

/* Zeroes *options and sets struct_size. NULL is ignored. */
ARNN_API void arnn_predict_options_init(arnn_predict_options *options);

/* probs[batch, C] = model(ids[batch, T]) for a token-id model with one input
 * and a fixed T: output 0 to probs, and options->attention (when set) receives
 * the weights of the first attention pooling. ids are the rows of T slots;
 * options may be NULL. Errors: ARNN_ERR_INVALID_ARGUMENT (NULL model/ids/probs,
 * batch 0, a dense-input model, a model with several inputs or without a
 * fixed T (use arnn_model_run), options->struct_size too small, attention
 * requested from a model without attention pooling), ARNN_ERR_UNSUPPORTED
 * (options from a newer header with a field set that this library does not
 * know), ARNN_ERR_OUT_OF_RANGE (a real id outside [0, V), a length over T,
 * sizes that overflow), ARNN_ERR_OUT_OF_MEMORY. Nothing is written to probs
 * or the attention output on error. */
ARNN_API arnn_status arnn_model_predict_ids(const arnn_model *model, size_t batch, const int *ids,
                                            const arnn_predict_options *options, float *probs);
/* The same for a dense-input model: x[batch, T, E] (or x[batch, F] for an
 * input without steps). */
ARNN_API arnn_status arnn_model_predict_dense(const arnn_model *model, size_t batch, const float *x,
                                              const arnn_predict_options *options, float *probs);

/* ---- graph models: any number of inputs and outputs ----
 *
 * A model is a graph of layers (docs/model-graph.md). It has one or more
 * inputs (token ids, or float vectors) and one or more outputs (the Keras
 * model's outputs, in order: e.g. the probabilities, then the attention
 * weights). Shapes are per sample; the batch dimension is implicit and
 * outermost. A dimension of 0 in a tensor description depends on the number
 * of steps of the call (a model saved without a fixed sequence length):
 * arnn_model_output_shape() gives it for a step count. */
typedef enum { ARNN_DTYPE_IDS = 0, ARNN_DTYPE_F32 = 1 } arnn_dtype;

/* A model input or output: a versioned struct (see the top of this header),
 * filled by the calls below. */
typedef struct {
  size_t struct_size; /* set to sizeof(arnn_tensor_info) before the call */
  const char *name;   /* owned by the model */
  arnn_dtype dtype;   /* ids: int32 token ids; f32: float */
  size_t rank;        /* 1 or 2 (per sample) */
  size_t dims[2];     /* per sample; 0 = the steps of the call, or a size that follows them */
} arnn_tensor_info;

ARNN_API size_t arnn_model_num_inputs(const arnn_model *model);
ARNN_API size_t arnn_model_num_outputs(const arnn_model *model);
/* Describe input / output `index`. ARNN_ERR_INVALID_ARGUMENT for NULL,
 * a small struct_size or an index out of range. The number of inputs /
 * outputs is 0 for NULL. */
ARNN_API arnn_status arnn_model_input_info(const arnn_model *model, size_t index, arnn_tensor_info *info);
ARNN_API arnn_status arnn_model_output_info(const arnn_model *model, size_t index, arnn_tensor_info *info);
/* The per-sample shape of output `index` for a call with `steps` steps
 * (rank and dims of *info; name and dtype as arnn_model_output_info; steps is
 * ignored for a model without steps). ARNN_ERR_INVALID_ARGUMENT as
 * arnn_model_output_info, or steps 0; ARNN_ERR_OUT_OF_RANGE above the
 * model's maximum; ARNN_ERR_SHAPE_MISMATCH when the model cannot run that
 * many steps: steps other than a fixed T, or fewer than a layer needs (a
 * convolution's window). */
ARNN_API arnn_status arnn_model_output_shape(const arnn_model *model, size_t index, size_t steps,
                                             arnn_tensor_info *info);
/* The longest sequence a call may pass (the fixed T, or the limit stated in
 * the file for a model without one); 0 for NULL. */
ARNN_API size_t arnn_model_max_steps(const arnn_model *model);

/* Runs the model on a batch.
 *  - inputs[i] points at input i's data: [batch][steps] int32 ids,
 *    [batch][steps][E] floats, or [batch][F] floats for an input without
 *    steps.
 *  - steps is the sequence length of this call: it must equal a fixed T, or
 *    be 1..max_steps; it is ignored (and may be 0) when no input has steps.
 *  - outputs[j] receives output j as [batch][dims...] floats (dims from
 *    arnn_model_output_shape); NULL skips it.
 *  - options may be NULL; options->lengths pads as described above;
 *    options->attention, when set, receives [batch][steps] weights of the
 *    model's first attention pooling layer, whether or not the Keras model
 *    outputs them.
 * Errors: ARNN_ERR_INVALID_ARGUMENT (NULL model/inputs/outputs, a NULL
 * input, batch 0, steps 0 for a model with steps, options->struct_size too
 * small, attention requested from a model without attention pooling),
 * ARNN_ERR_UNSUPPORTED (options from a newer header with a field set that
 * this library does not know), ARNN_ERR_OUT_OF_RANGE (an id outside the
 * vocabulary, steps over the maximum, a length over steps, sizes that
 * overflow), ARNN_ERR_SHAPE_MISMATCH (steps differ from a fixed T, or a layer
 * cannot take that many), ARNN_ERR_OUT_OF_MEMORY. Nothing is written to the
 * outputs on error. Thread-safe like every call on a loaded model. */
ARNN_API arnn_status arnn_model_run(const arnn_model *model, size_t batch, size_t steps, const void *const *inputs,
                                    const arnn_predict_options *options, float *const *outputs);

/* The model's layers in run order (for `arnn info` and diagnostics): a
 * versioned struct (see the top of this header). */
typedef struct {
  size_t struct_size;  /* set to sizeof(arnn_layer_info) before the call */
  const char *name;    /* the Keras layer name (owned by the model) */
  const char *op;      /* the graph op, e.g. "rnn", "dense" (docs/model-graph.md) */
  const char *inputs;  /* comma-separated names of the values it reads ("" for an input) */
  const char *kernel;  /* what runs it, e.g. "arnn_f32_lstm_step__avx512" */
  size_t rank;         /* rank and per-sample dims of its first output; 0 = follows the steps */
  size_t dims[2];
  int has_mask;        /* its output carries a per-step mask */
  const char *weights; /* the type its weights are kept in: "f32", "bf16" (an LSTM/GRU whose kernels are
                          bfloat16), or "" for a layer without weights */
} arnn_layer_info;

ARNN_API size_t arnn_model_num_layers(const arnn_model *model);
/* Describe layer `index` (0 <= index < arnn_model_num_layers, which is 0 for
 * NULL). ARNN_ERR_INVALID_ARGUMENT for NULL, a small struct_size or an index
 * out of range. */
ARNN_API arnn_status arnn_model_layer_info(const arnn_model *model, size_t index, arnn_layer_info *info);


/* ---- the Keras Tokenizer: raw text to token ids ----
 *
 * arnn_tokenizer_load reads the JSON written by Keras' Tokenizer.to_json()
 * ({"class_name": "Tokenizer", "config": {"num_words", "filters", "lower",
 * "split", "char_level", "oov_token", "word_index": "<JSON object as a
 * string>", ...}}); keys other than these are ignored, missing ones take the
 * Tokenizer's defaults except word_index. arnn_tokenizer_encode turns one text
 * into ids exactly as Keras' texts_to_sequences does for a word-level
 * tokenizer:
 *  1. text.lower() when lower is set, as Python 3 does it (full Unicode
 *     lower-case mapping: İ becomes "i" + U+0307, ẞ becomes ß, ß stays, Σ
 *     becomes ς at the end of a word (Final_Sigma) and σ elsewhere);
 *  2. every character of filters replaced by split (after lower-casing, as
 *     Keras does: an upper-case filter character never matches);
 *  3. split on the split string (not on whitespace in general), empty pieces
 *     dropped;
 *  4. each word looked up in word_index: an id >= num_words (when num_words
 *     is set and not 0) becomes the oov_token's id, or is dropped without an
 *     oov_token; an unknown word becomes the oov_token's id, or is dropped.
 * Refused at load: char_level = true (ARNN_ERR_UNSUPPORTED), an empty split,
 * an oov_token absent from word_index (Keras would emit None), ids outside
 * [0, 2^31), a word twice, and the limits below (ARNN_ERR_MALFORMED_MODEL,
 * with a message), and a word containing U+0000 (the JSON reader refuses
 * "\u0000"). The case tables are utf8proc's: Unicode 15, where Python 3.11
 * has 14 (letters new in 15 are lower-cased, or count as cased letters for
 * Final_Sigma, only here).
 * Texts are UTF-8; invalid UTF-8 (where Python would have failed to decode)
 * is refused with ARNN_ERR_INVALID_ARGUMENT. A tokenizer is immutable: any
 * number of threads may encode with it at once. Built without utf8proc, the
 * loaders return ARNN_ERR_UNSUPPORTED.
 *
 * The same loaders read a Keras TextVectorization layer (output_mode "int"),
 * in the form arnn-convert writes (docs/tokenizer.md):
 *   {"class_name": "TextVectorization", "config": {"vocabulary": ["", "[UNK]",
 *    tokens...], "standardize": "lower_and_strip_punctuation" | "lower" |
 *    "strip_punctuation" | null, "split": "whitespace" | "character" | null,
 *    "ngrams": null | [widths...], "output_sequence_length": null | n,
 *    "output_mode": "int"}}
 * vocabulary is get_vocabulary()'s list (index = id, "" the mask token at 0,
 * "[UNK]" the OOV token at 1) and is required; the other keys default to the
 * layer's defaults; any other key is refused. Encoding follows the layer's
 * _preprocess and lookup exactly: standardize lower-cases ASCII A-Z only
 * (tf.strings.lower's default encoding) and deletes ASCII punctuation only
 * (DEFAULT_STRIP_REGEX); split "whitespace" splits on runs of ASCII space,
 * \t \n \v \f \r only, "character" gives one token per code point, null keeps
 * the whole text as one token; ngrams joins each run of w tokens with one
 * space, for every width in order; a token of the vocabulary gives its index,
 * "" gives 0, any other token 1. The ids are not padded or cut: the layer
 * pads with 0 and truncates at the END to output_sequence_length
 * (arnn_tokenizer_sequence_length), which the CLI and the Python API apply.
 * Refused at load: a vocabulary not starting with "" and "[UNK]", a token
 * repeated or "" past index 0, output_mode other than "int"
 * (ARNN_ERR_UNSUPPORTED), unknown standardize / split values (a custom
 * function cannot be run). */
#define ARNN_TOKENIZER_MAX_FILE_BYTES ((size_t)256 << 20) /* the JSON document */
#define ARNN_TOKENIZER_MAX_WORDS ((size_t)1 << 24)        /* word_index entries */
#define ARNN_TOKENIZER_MAX_WORD_BYTES 65536               /* a word of word_index (UTF-8) */
#define ARNN_TOKENIZER_MAX_SPLIT_BYTES 64
#define ARNN_TOKENIZER_MAX_FILTER_BYTES 4096
#define ARNN_TOKENIZER_MAX_SEQUENCE_LENGTH 65536 /* TextVectorization output_sequence_length */

typedef struct arnn_tokenizer arnn_tokenizer; /* opaque */

/* Errors: ARNN_ERR_IO (cannot read the file), ARNN_ERR_MALFORMED_MODEL (not a
 * Keras tokenizer, hostile or over the limits), ARNN_ERR_UNSUPPORTED,
 * ARNN_ERR_OUT_OF_MEMORY, ARNN_ERR_INVALID_ARGUMENT (NULL); the reason in
 * errbuf (printable ASCII, may be NULL). *tokenizer is NULL on error. */
ARNN_API arnn_status arnn_tokenizer_load(const char *path, arnn_tokenizer **tokenizer, char *errbuf,
                                         size_t errbuf_size);
ARNN_API arnn_status arnn_tokenizer_load_memory(const void *data, size_t size, arnn_tokenizer **tokenizer,
                                                char *errbuf, size_t errbuf_size);
ARNN_API void arnn_tokenizer_free(arnn_tokenizer *tokenizer);
/* Entries of word_index (Tokenizer); the vocabulary's size, "" and "[UNK]"
 * included (TextVectorization). */
ARNN_API size_t arnn_tokenizer_num_words(const arnn_tokenizer *tokenizer);
/* 1 for a TextVectorization tokenizer, 0 for a Keras Tokenizer (or NULL). */
ARNN_API int arnn_tokenizer_is_text_vectorization(const arnn_tokenizer *tokenizer);
/* TextVectorization's output_sequence_length: the layer pads a text's ids
 * with 0 and truncates them, both at the end, to this length; 0 when it has
 * none (and for a Keras Tokenizer). */
ARNN_API size_t arnn_tokenizer_sequence_length(const arnn_tokenizer *tokenizer);
/* A cap that always holds the ids of `len` bytes of text: len + 1, times the
 * number of ngram widths of a TextVectorization with ngrams. */
ARNN_API size_t arnn_tokenizer_max_ids(const arnn_tokenizer *tokenizer, size_t len);
/* A one-line printable description (kind, vocabulary size, settings) into
 * buf (NUL-terminated, cut to size); returns its full length. */
ARNN_API size_t arnn_tokenizer_describe(const arnn_tokenizer *tokenizer, char *buf, size_t size);

/* The tokenizer an arnn model file carries (the "tokenizer" entry of its
 * __metadata__, written by arnn-convert for a model whose input went through a
 * TextVectorization layer): reads only the file's header. A model without one
 * gives ARNN_OK and *tokenizer = NULL. The _memory form takes the file's bytes
 * (the header is enough). Errors as arnn_tokenizer_load. */
ARNN_API arnn_status arnn_tokenizer_load_model(const char *model_path, arnn_tokenizer **tokenizer, char *errbuf,
                                               size_t errbuf_size);
ARNN_API arnn_status arnn_tokenizer_load_model_memory(const void *data, size_t size, arnn_tokenizer **tokenizer,
                                                      char *errbuf, size_t errbuf_size);

/* The ids of `len` bytes of UTF-8 text (no terminator needed; NUL is an
 * ordinary character). Writes the first min(count, cap) ids to ids and the
 * count to *n; returns ARNN_ERR_OUT_OF_RANGE when count > cap
 * (arnn_tokenizer_max_ids(len) is always enough, len + 1 without ngrams;
 * cap = 0 with ids = NULL counts). Errors:
 * ARNN_ERR_INVALID_ARGUMENT (NULL pointers, invalid UTF-8: the message gives
 * the byte offset), ARNN_ERR_OUT_OF_MEMORY. errbuf may be NULL. */
ARNN_API arnn_status arnn_tokenizer_encode(const arnn_tokenizer *tokenizer, const char *text, size_t len, int *ids,
                                           size_t cap, size_t *n, char *errbuf, size_t errbuf_size);


#ifdef __cplusplus
}
#endif

#endif
