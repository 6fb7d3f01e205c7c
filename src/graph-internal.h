/* The graph's nodes (internal to graph-schema.c, which fills them from the
 * file, and graph.c, which plans and runs them). */
#ifndef ARNN_SRC_GRAPH_INTERNAL_H
#define ARNN_SRC_GRAPH_INTERNAL_H

#include "graph.h"
#include "layers/layers.h"

typedef enum {
  OP_INPUT = 0,
  OP_EMBEDDING,
  OP_MASKING,
  OP_RNN,
  OP_CONV1D,
  OP_POOL1D,
  OP_GLOBAL_POOL1D,
  OP_DENSE,
  OP_ACTIVATION,
  OP_BATCH_NORM,
  OP_LAYER_NORM,
  OP_MERGE,
  OP_DOT,
  OP_FLATTEN,
  OP_RESHAPE,
  OP_PERMUTE,
  OP_REPEAT_VECTOR,
  OP_ATTENTION_POOL,
  OP_DOT_ATTENTION,
  OP_ADDITIVE_ATTENTION,
  OP_MHA,
  OP_CONTEXT_ATTENTION,
  OP_COUNT
} graph_op;

extern const char *const arnn_graph_op_names[OP_COUNT];

typedef enum { MERGE_CONCAT_MODE = -1 } graph_merge_extra;
typedef enum { RNN_MERGE_CONCAT = 0, RNN_MERGE_SUM, RNN_MERGE_AVE, RNN_MERGE_MUL } rnn_merge;

/* Per-call blocks kept for reuse: one per concurrent caller, up to this many. */
#define ARNN_GRAPH_BLOCK_CACHE 4

typedef struct {
  int node, out;
} vref;

/* A weight the node took from the file (points into the caller's weight
 * copy until the runtime is built; NULL when absent). */
typedef struct {
  const float *data;
  size_t rank;
  size_t shape[3];
} wref;

typedef struct graph_node {
  graph_op op;
  char name[ARNN_GRAPH_MAX_NAME + 1];
  int n_in;
  vref in[ARNN_GRAPH_MAX_FANIN];
  int n_out;
  int value[2]; /* value ids of the outputs */

  /* ---- parameters (the op's keys, docs/model-graph.md) ---- */
  int dtype_ids;         /* input: 1 = int32 ids */
  arnn_shape in_shape;   /* input: declared per-sample shape, d[0] == 0 when steps vary */
  int mask_zero;         /* embedding */
  float mask_value;      /* masking */
  arnn_cell_kind cell;   /* rnn */
  size_t units;          /* rnn, dense, conv1d filters */
  int bidirectional, return_sequences, go_backwards, reset_after, use_bias, zero_output_for_mask;
  rnn_merge rnn_merge_mode;
  arnn_act act, ract;    /* rnn activation / recurrent_activation; dense, conv1d, activation op */
  size_t kernel_size, strides, dilation;
  arnn_padding_mode padding;
  arnn_pool_mode pool_mode;
  size_t pool_size;
  int masked;            /* global_pool1d */
  float epsilon;         /* norms, attention */
  int merge_mode;        /* arnn_merge_mode or MERGE_CONCAT_MODE */
  int axis;              /* concat axis, per sample */
  int axes[2], normalize;/* dot */
  int target_rank;       /* reshape */
  long target[2];
  size_t repeat_n;
  arnn_attention_form att_form; /* attention_pool, context_attention */
  int att_bias;
  int concat_score;      /* dot_attention: score_mode concat */
  int use_scale, causal, return_scores;
  size_t num_heads, key_dim, value_dim, output_dim; /* mha */
  int empty_rows_zero;   /* mha: a query row with no visible key gets zero weights (else uniform) */

  /* weights: rnn [dir][kernel, recurrent, bias]; mha [0][q, k, v, output
   * kernels] and [1][their biases]; others use w[0][..] */
  wref w[2][4];
  int bf16;              /* rnn (LSTM/GRU): kernel and recurrent_kernel kept as bf16 */
  int bf16_tensors;      /* how many of its tensors the file stored as BF16 */

  /* ---- runtime, built once ---- */
  int folded;            /* embedding folded into its only consumer, an rnn */
  int fold_source;       /* rnn: node index of the folded embedding, or -1 */
  int fast_rnn;          /* rnn: uses arnn_rnn_layer */
  arnn_rnn_layer *rnn_layer;
  arnn_generic_rnn *generic[2];
  arnn_dense_layer *dense;
  arnn_dense_head *head; /* rank-1 dense with linear/sigmoid/softmax: the head kernel */
  arnn_conv1d_layer *conv;
  arnn_norm_layer *norm;
  arnn_dense_layer *proj[4]; /* mha: query, key, value, output projections; context_attention: [0] */
  float *own[2];         /* weights kept for the run (embedding table, attention w/b, prelu alpha) */
  size_t vocab;          /* embedding */
  char *inputs_text;     /* "a,b:1" for descriptions */
} graph_node;

typedef struct {
  int node, out;
  int has_mask;
  int mask_src;          /* value id whose mask buffer this value uses (itself when it makes one) */
  int slot;              /* buffer slot; -1: none (folded embedding output) */
  int last_use;          /* index of the last node reading it (outputs: n_nodes) */
  int steps_dep;         /* dims depend on the call's steps: bit 0 for d[0], bit 1 for d[1] */
  arnn_shape shape;      /* at max steps (or fixed T) */
} graph_value;

struct arnn_graph {
  graph_node *nodes;
  int n_nodes;
  graph_value *values;
  int n_values;
  int inputs[ARNN_GRAPH_MAX_INPUTS]; /* node indices */
  int n_inputs;
  int outputs[ARNN_GRAPH_MAX_OUTPUTS]; /* value ids */
  char output_names[ARNN_GRAPH_MAX_OUTPUTS][ARNN_GRAPH_MAX_NAME + 4];
  int n_outputs;
  size_t fixed_steps, max_steps;
  int n_slots;
  int attention_value;  /* the first attention_pool layer's weights (kept to the end of a run), or -1 */
  _Atomic(void *) cache[ARNN_GRAPH_BLOCK_CACHE]; /* recent calls' blocks (graph.c take_block / put_block) */
};

/* graph.c: infers every value's shape for `steps`; writes it to shapes[]
 * (n_values entries). Nonzero with a message when a layer cannot take its
 * inputs' shapes. */
int arnn_graph_infer(const arnn_graph *g, size_t steps, arnn_shape *shapes, char *err, size_t err_size);
/* graph.c: plan and build the runtime of a graph whose nodes are filled. */
arnn_status arnn_graph_build(arnn_graph *g, arnn_load_error *e);

#endif
