/* Recurrent-layer peers (bidirectional LSTM / GRU, concat, f32, forward
 * inference) that arnn's RNN benchmark runs side by side with its own layer.
 *
 * Plain C interface, no Google Benchmark: a bench creates a peer once (weights
 * packed, primitive built, buffers allocated, all outside the timed loop),
 * times peer_*_run() and destroys it. Declarations of a peer are guarded by
 * the ARNN_BENCH_HAVE_* definition CMake sets when that peer was found.
 *
 * Shapes are the workloads of bench/README.md; the input is always dense [B,T,E] (for
 * imdb the embedding lookup is not part of the timed layer). */
#ifndef ARNN_BENCH_PEERS_RNN_H
#define ARNN_BENCH_PEERS_RNN_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum peer_rnn_cell {
  PEER_RNN_LSTM = 0,       /* gates i, f, c, o (Keras order)                   */
  PEER_RNN_GRU = 1,        /* Keras GRU reset_after=True  (oneDNN lbr_gru)     */
  PEER_RNN_GRU_BEFORE = 2  /* Keras GRU reset_after=False (oneDNN vanilla gru) */
} peer_rnn_cell;

typedef struct peer_rnn_workload {
  const char *name;
  int T, E, H;
} peer_rnn_workload;

/* imdb (T=400, E=50, H=128), elmo (T=40, E=1024, H=128),
 * large (T=100, E=300, H=512). */
#define PEER_RNN_NUM_WORKLOADS 3
extern const peer_rnn_workload peer_rnn_workloads[PEER_RNN_NUM_WORKLOADS];
const peer_rnn_workload *peer_rnn_workload_find(const char *name); /* NULL if unknown */

const char *peer_rnn_cell_name(peer_rnn_cell cell); /* "lstm", "gru", "gru_rb" */
int peer_rnn_gates(peer_rnn_cell cell);             /* 4 or 3 */

/* FLOP of one call, both directions, whole batch:
 * B * 2 * (2*T*E*G*H + 2*T*H*G*H). */
double peer_rnn_flop(const peer_rnn_workload *w, int batch, peer_rnn_cell cell);
/* Bytes of W_hh (f32) one timestep of both directions reads: 2 * H*G*H*4. */
double peer_rnn_whh_bytes_per_step(const peer_rnn_workload *w, peer_rnn_cell cell);

/* Weights in Keras layout, one set per direction (0 = forward, 1 = backward):
 * kernel [E, G*H], recurrent kernel [H, G*H], bias [G*H] (LSTM, GRU
 * reset_after=False) or [2, 3H] (GRU reset_after=True: input bias, then
 * recurrent bias). Row-major. */
typedef struct peer_rnn_weights {
  const float *kernel[2];
  const float *recurrent[2];
  const float *bias[2];
} peer_rnn_weights;

/* ---- oneDNN (libdnnl) ------------------------------------------------------ */
#if defined(ARNN_BENCH_HAVE_ONEDNN)
typedef struct peer_onednn_rnn peer_onednn_rnn;

/* Weight layout requested from oneDNN. ANY lets oneDNN choose (2.6 on an
 * AVX-512 core picks the "brgemm" implementation with blocked weights for
 * LSTM, and "ref" = jit gemm + jit cell for GRU); PLAIN asks for ldigo, which
 * forces the gemm-based implementation. Neither is faster everywhere, so the
 * bench runs both. */
typedef enum peer_onednn_weights {
  PEER_ONEDNN_WEIGHTS_ANY = 0,
  PEER_ONEDNN_WEIGHTS_PLAIN = 1,
  /* oneDNN's bf16 RNN: src, weights and dst in bf16 (bias f32), weights in
   * format any. Its own accuracy contract (bf16 activations too), so the
   * check against the float64 reference is only a sanity bound. */
  PEER_ONEDNN_BF16 = 2
} peer_onednn_weights;

/* "oneDNN 2.6.3 (cpu runtime OpenMP, isa ...)". */
const char *peer_onednn_version(void);

/* Creates the bidirectional-concat forward-inference primitive for batch
 * `batch` on `threads` OpenMP threads (omp_set_num_threads on the calling
 * thread, at creation and again in every run), weights in `layout`, a user
 * scratchpad, and src [T,B,E] / dst [T,B,2H] buffers
 * in the tnc layout (oneDNN's native one). `weights` may be NULL: uniform
 * random weights in [-0.1, 0.1]. The input starts uniform random in [-1, 1].
 * Returns NULL on failure with a message in *error (when error != NULL). */
peer_onednn_rnn *peer_onednn_rnn_create(const peer_rnn_workload *w, int batch, int threads, peer_rnn_cell cell,
                                        peer_onednn_weights layout, const peer_rnn_weights *weights,
                                        const char **error);
/* The timed call: execute + stream wait. Returns 0 on success. */
int peer_onednn_rnn_run(peer_onednn_rnn *p);
/* Untimed helpers for cross-checking outputs: x is [B,T,E], y is [B,T,2H]
 * (forward half, then backward half, Keras concat order). */
void peer_onednn_rnn_set_input(peer_onednn_rnn *p, const float *x);
void peer_onednn_rnn_get_output(const peer_onednn_rnn *p, float *y);
/* oneDNN's implementation name ("brgemm", "ref"). */
const char *peer_onednn_rnn_impl(const peer_onednn_rnn *p);
void peer_onednn_rnn_destroy(peer_onednn_rnn *p);
#endif

#ifdef __cplusplus
}
#endif

#endif /* ARNN_BENCH_PEERS_RNN_H */
