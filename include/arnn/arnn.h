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
 * "vsigmoid". */
ARNN_API const char *arnn_kernel_name(const char *op);

/* y[i] = tanh(x[i]). See the contract at the top of this header. */
ARNN_API void arnn_vtanh_f32(const float *x, float *y, size_t n);
/* y[i] = e^x[i]. */
ARNN_API void arnn_vexp_f32(const float *x, float *y, size_t n);
/* y[i] = 1 / (1 + e^-x[i]). */
ARNN_API void arnn_vsigmoid_f32(const float *x, float *y, size_t n);

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
  ARNN_ATTENTION_EPS = 0,    /* a = exp(e) * mask / (sum(exp(e) * mask) + 1e-7), seed 002 */
  ARNN_ATTENTION_SOFTMAX = 1 /* a = softmax(e), seed 003 */
} arnn_attention_form;
typedef enum { ARNN_HEAD_SIGMOID = 0, ARNN_HEAD_SOFTMAX = 1 } arnn_head_activation;
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
  arnn_attention_form attention;
  int attention_bias;      /* per-step attention bias b[T] present */
  arnn_head_activation head;
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
