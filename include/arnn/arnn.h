/* arnn: attention-RNN text classifier inference with hand-written SIMD kernels.
 *
 * Public C API. Stable: functions are only ever added. The library never
 * aborts, never prints and never exits; failures are reported through
 * arnn_status. Every function is thread-safe.
 *
 * CPU dispatch. On first use the library detects the CPU once (CPUID and
 * XGETBV on x86-64, hwcaps on AArch64) and picks, for every op, the best kernel
 * among scalar < avx2 (AVX2+FMA) < avx512 (AVX-512 F/BW/DQ/VL) on x86-64, or
 * scalar < neon on AArch64. The environment variable ARNN_ISA (scalar, avx2,
 * avx512, neon), read once at that moment, caps the level: it never enables
 * what the CPU lacks; an unknown value or one above the CPU is ignored and the
 * reason is reported by arnn_isa_note().
 *
 * Elementwise math (arnn_vtanh_f32, arnn_vexp_f32, arnn_vsigmoid_f32):
 *  - y[i] = f(x[i]) for 0 <= i < n; any n (0 does nothing), any alignment,
 *    in place allowed (y == x; other overlaps are not), nothing is read or
 *    written outside [0, n). x and y may be NULL only when n == 0.
 *  - Accuracy, on every ISA: at most 2 ULP from the correctly rounded result
 *    for every input whose result is a normal float (the exhaustive figures are
 *    in README.md). A result below FLT_MIN may be flushed to zero.
 *  - Same bits on every ISA: the scalar, AVX2, AVX-512 (and NEON) kernels
 *    evaluate the same sequence of binary32 operations, so they return
 *    identical results for every input.
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
  ARNN_ERR_INVALID_ARGUMENT = 1, /* NULL pointer, zero or inconsistent size */
  ARNN_ERR_OUT_OF_MEMORY = 2,
  ARNN_ERR_IO = 3,               /* a file could not be opened or read */
  ARNN_ERR_MALFORMED_MODEL = 4,  /* a model file is truncated, inconsistent or hostile */
  ARNN_ERR_UNSUPPORTED = 5,      /* valid input this version cannot handle */
  ARNN_ERR_SHAPE_MISMATCH = 6,   /* tensor shapes do not fit together */
  ARNN_ERR_OUT_OF_RANGE = 7      /* token id, length or index outside its range */
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
 * "arnn_f32_vtanh__avx512"; NULL for an unknown op. Ops: "vtanh", "vexp",
 * "vsigmoid", "attention_pool", "dense_head". */
ARNN_API const char *arnn_kernel_name(const char *op);

/* y[i] = tanh(x[i]). See the contract at the top of this header. */
ARNN_API void arnn_vtanh_f32(const float *x, float *y, size_t n);
/* y[i] = e^x[i]. */
ARNN_API void arnn_vexp_f32(const float *x, float *y, size_t n);
/* y[i] = 1 / (1 + e^-x[i]). */
ARNN_API void arnn_vsigmoid_f32(const float *x, float *y, size_t n);

/* ---- attention pooling and dense head (issue 4) ---------------------------
 * The last two layers of a TextAttBiRNN classifier (NOTES.md section 1), each
 * usable on its own on the output of any encoder. Both functions are
 * thread-safe (a dense head object is immutable after creation and may be
 * applied from several threads at once), never allocate (apply) and set
 * FTZ/DAZ for their duration, restoring the caller's mode on return.
 * Same bits on every ISA: scalar, AVX2 and AVX-512 return identical results
 * (one fixed operation order; kernels/README.md). */

/* Normalization of the attention weights.
 *  ARNN_ATTENTION_EPSILON: the Keras layer of seed 002:
 *      a_t = exp(e_t) m_t / (sum_s exp(e_s) m_s + epsilon)
 *  ARNN_ATTENTION_SOFTMAX: the exact softmax of seed 003 (no epsilon):
 *      a_t = exp(e_t) m_t / sum_s exp(e_s) m_s
 *  (e_t = tanh(...) lies in [-1, 1], so no maximum needs subtracting.) */
typedef enum {
  ARNN_ATTENTION_EPSILON = 0,
  ARNN_ATTENTION_SOFTMAX = 1
} arnn_attention_form;

#define ARNN_ATTENTION_DEFAULT_EPSILON 1e-7f /* Keras' K.epsilon() */

typedef struct {
  arnn_attention_form form;
  float epsilon; /* ARNN_ATTENTION_EPSILON only: finite, >= 0 (0 gives the
                    softmax form); ignored by ARNN_ATTENTION_SOFTMAX */
} arnn_attention_options;

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
 * options NULL means { ARNN_ATTENTION_EPSILON, ARNN_ATTENTION_DEFAULT_EPSILON }.
 * Masked steps are skipped entirely: their rows of x are never added to the
 * context (they may hold anything, even NaN) and their weights are 0.
 * A row whose steps are all masked gives context = 0 and weights = 0 (never
 * NaN), in both forms. The weights of a row sum to S / (S + eps) (1 in the
 * SOFTMAX form) up to rounding.
 * The outputs must not overlap the inputs or each other.
 * Accuracy: within a few float roundings of the exact result per term
 * (tests/attention-test.c states the bounds checked against float64).
 * Returns ARNN_ERR_INVALID_ARGUMENT for NULL x, w or context, batch, steps or
 * features == 0, an unknown form, or an epsilon that is negative or not
 * finite; ARNN_ERR_OUT_OF_RANGE when batch * steps * features (or the byte
 * size of x) overflows size_t. Nothing is written on error. */
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

/* ---- end attention pooling and dense head ---- */

/* ---- model files (issue 5) ----------------------------------------------
 *
 * An arnn model file is a safetensors file (docs/model-format.md): the
 * architecture in the header's __metadata__, the weights as float32 tensors in
 * plain Keras layout. tools/arnn-convert writes one from a Keras model.
 *
 * Loading is strict and bounded: a header over 16 MiB, offsets outside the
 * file, overlapping or missing tensors, a wrong dtype or shape, an unknown
 * tensor, a metadata value out of range, or a NaN/inf weight are all refused
 * with ARNN_ERR_MALFORMED_MODEL (ARNN_ERR_IO when the file cannot be read,
 * ARNN_ERR_UNSUPPORTED for a newer format version, ARNN_ERR_OUT_OF_MEMORY) and
 * an English message in errbuf (always NUL-terminated when errbuf_size > 0;
 * errbuf may be NULL). The weights are copied, so the file or buffer may go
 * away after loading. A loaded model is immutable: every function below may be
 * called on it from many threads at once. */

typedef struct arnn_model arnn_model; /* opaque */

typedef enum { ARNN_INPUT_IDS = 0, ARNN_INPUT_DENSE = 1 } arnn_input_kind;
typedef enum { ARNN_CELL_LSTM = 0, ARNN_CELL_GRU = 1 } arnn_cell_kind;
typedef enum {
  ARNN_RECURRENT_SIGMOID = 0,            /* 1 / (1 + e^-x) */
  ARNN_RECURRENT_HARD_SIGMOID_KERAS2 = 1, /* clip(0.2 x + 0.5, 0, 1), Keras <= 2.x */
  ARNN_RECURRENT_HARD_SIGMOID_KERAS3 = 2  /* clip(x / 6 + 0.5, 0, 1), Keras 3 */
} arnn_recurrent_activation;
typedef enum {
  ARNN_PADDING_UNKNOWN = 0,
  ARNN_PADDING_PRE = 1, /* padding before the tokens (Keras pad_sequences default) */
  ARNN_PADDING_POST = 2 /* padding after the tokens */
} arnn_padding;

/* The architecture of a loaded model. Fields are only ever appended; set
 * struct_size = sizeof(arnn_model_info) before calling arnn_model_get_info. */
typedef struct {
  size_t struct_size;
  unsigned format_version;
  arnn_input_kind input;   /* token ids through an Embedding, or dense [T,E] vectors */
  size_t T;                /* steps per sequence (the Attention step_dim) */
  size_t E;                /* embedding / input feature size */
  size_t V;                /* vocabulary size (ids input; 0 for dense input) */
  size_t H;                /* hidden units per direction */
  size_t C;                /* output classes */
  arnn_cell_kind cell;
  int gru_reset_after;     /* GRU only: 1 = reset gate after the recurrent matmul (bias [2,3H]) */
  arnn_recurrent_activation recurrent_activation;
  int mask_zero;           /* ids input: id 0 is padding and is masked */
  arnn_padding padding;    /* informational: where the training data was padded */
  arnn_attention_form attention; /* ARNN_ATTENTION_EPSILON (1e-7, seed 002) or ARNN_ATTENTION_SOFTMAX (seed 003) */
  int attention_bias;      /* per-step attention bias b[T] present */
  arnn_dense_activation head; /* ARNN_DENSE_SIGMOID or ARNN_DENSE_SOFTMAX */
} arnn_model_info;

/* Reads and validates the model file at `path`. On success *model is a new
 * model (free it with arnn_model_free); on failure *model is NULL. */
ARNN_API arnn_status arnn_model_load(const char *path, arnn_model **model, char *errbuf, size_t errbuf_size);

/* The same from a model file image in memory (`size` bytes at `data`). */
ARNN_API arnn_status arnn_model_load_memory(const void *data, size_t size, arnn_model **model, char *errbuf,
                                            size_t errbuf_size);

/* Frees a model; NULL is allowed. */
ARNN_API void arnn_model_free(arnn_model *model);

/* Fills *info (see arnn_model_info: set info->struct_size first). Returns
 * ARNN_ERR_INVALID_ARGUMENT for NULL or a struct_size smaller than the first
 * version of the struct. */
ARNN_API arnn_status arnn_model_get_info(const arnn_model *model, arnn_model_info *info);

/* Name of output class `index` (UTF-8, NUL-terminated, owned by the model), from
 * the file's labels or "0", "1", ... when it has none; NULL when index >= C or
 * model is NULL. */
ARNN_API const char *arnn_model_label(const arnn_model *model, size_t index);

/* ---- end of model files ---- */

#ifdef __cplusplus
}
#endif

#endif
