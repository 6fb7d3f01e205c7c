/* The model graph (internal): schema check, plan and run.
 *
 * Load: arnn_graph_from_json() reads the graph document of a version-2 file
 * (docs/model-graph.md) or arnn_graph_from_v1() builds the same graph for a
 * version-1 file; both check every key, edge, shape and weight and then
 * create the runtime layers (weights packed once; the caller's weight copy
 * can be freed afterwards). The plan made there (topological order as the
 * file lists it, static masks, buffer slots by liveness, fused
 * embedding -> RNN) is walked by arnn_graph_run() with one allocation per
 * call and nothing allocated per layer. */
#ifndef ARNN_SRC_GRAPH_H
#define ARNN_SRC_GRAPH_H

#include <stddef.h>
#include <stdint.h>

#include "arnn/arnn.h"
#include "load-error.h"

#define ARNN_GRAPH_MAX_INPUTS 16
#define ARNN_GRAPH_MAX_OUTPUTS 64
#define ARNN_GRAPH_MAX_LAYERS 4096
#define ARNN_GRAPH_MAX_FANIN 64
#define ARNN_GRAPH_MAX_DIM (1u << 24)
#define ARNN_GRAPH_MAX_STEPS 65536
#define ARNN_GRAPH_MAX_NAME 128

/* A weight tensor of the file, as the container hands it over. */
typedef struct {
  const char *name;
  size_t rank;
  uint64_t shape[8];
  const float *data; /* validated: finite float32 */
  int used;          /* set by the graph when a layer takes it */
  int bf16;          /* stored as BF16 in the file (data holds the exact widened values) */
} arnn_weight_tensor;

typedef struct {
  arnn_weight_tensor *t; /* sorted by name (strcmp) */
  size_t n;
  int rnn_bf16; /* ARNN_LOAD_BF16_WEIGHTS: every LSTM/GRU keeps its kernels as bf16 */
} arnn_weight_set;

typedef struct arnn_graph arnn_graph;

/* Per-sample shape: rank 1 [d0] or rank 2 [d0 steps][d1 features]. */
typedef struct {
  int rank;
  size_t d[2];
} arnn_shape;

arnn_status arnn_graph_from_json(const char *json, size_t len, arnn_weight_set *weights, arnn_graph **graph,
                                 arnn_load_error *e);
/* The version-1 chain: [ids -> embedding | dense input] -> bidirectional RNN
 * (concat, return_sequences, zero output at masked steps) -> attention pooling
 * -> dense head; output: the probabilities (the attention weights through
 * arnn_graph_run's attention argument). */
arnn_status arnn_graph_from_v1(const arnn_model_info *info, const float *embedding, const float *const kernel[2],
                               const float *const recurrent[2], const float *const bias[2], const float *att_w,
                               const float *att_b, const float *dense_k, const float *dense_b, int rnn_bf16,
                               arnn_graph **graph, arnn_load_error *e);
void arnn_graph_free(arnn_graph *g);
/* "f32", "bf16" or "" (no weights): the type node i keeps its weights in. */
const char *arnn_graph_node_weights(const arnn_graph *g, size_t i);

size_t arnn_graph_num_inputs(const arnn_graph *g);
/* 1 when an input has a steps axis (ids, or [T, E] floats). */
int arnn_graph_has_steps(const arnn_graph *g);
size_t arnn_graph_num_outputs(const arnn_graph *g);
/* name, dtype (0 ids, 1 float32), rank and dims (0 = depends on the steps of
 * the call) of input / output i. */
void arnn_graph_input_desc(const arnn_graph *g, size_t i, const char **name, int *dtype, arnn_shape *shape);
void arnn_graph_output_desc(const arnn_graph *g, size_t i, const char **name, arnn_shape *shape);
/* The per-sample shape of output i for a call with `steps` steps; nonzero if
 * the graph cannot run that many steps (message in err). */
int arnn_graph_output_shape(const arnn_graph *g, size_t i, size_t steps, arnn_shape *shape, char *err,
                            size_t err_size);
size_t arnn_graph_fixed_steps(const arnn_graph *g); /* T, or 0 when it varies per call */
size_t arnn_graph_max_steps(const arnn_graph *g);
/* Steps of the first attention_pool layer's weights (its input's steps at
 * the fixed T), 0 when the graph has none. */
size_t arnn_graph_attention_steps(const arnn_graph *g);

/* Runs the graph: inputs[i] per graph input ([batch][steps] int32 ids or
 * [batch][steps][E] / [batch][F] floats), outputs[j] per output (NULL to
 * skip), attention (NULL, or [batch][steps] of the first attention_pool
 * layer: its weights whether or not the model outputs them). lengths (NULL
 * or [batch]) and post_padding: pad_sequences semantics, see
 * arnn_predict_options. Nothing is written to the outputs on error. */
arnn_status arnn_graph_run(const arnn_graph *g, arnn_threadpool *pool, size_t batch, size_t steps,
                           const void *const *inputs, const size_t *lengths, int post_padding,
                           float *const *outputs, float *attention);

/* Layer i of the run order (inputs included): name, op, comma-separated
 * input names (owned by the graph), kernel, first output's shape (0 dims
 * follow the steps) and mask. */
size_t arnn_graph_num_nodes(const arnn_graph *g);
void arnn_graph_node_desc(const arnn_graph *g, size_t i, const char **name, const char **op, const char **inputs,
                          const char **kernel, arnn_shape *shape, int *has_mask);

#endif
