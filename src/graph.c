/* The graph plan and run (graph.h).
 *
 * Plan, once at load:
 *  - shapes: every value's per-sample shape is inferred at the fixed T (or at
 *    max_steps when T varies per call), which checks every weight's shape
 *    against the layer's input; each call re-infers them for its own steps
 *    (a walk of arithmetic), so a T-dependent mismatch is a clear status;
 *  - masks: which values carry a per-step mask and which buffer it lives in
 *    (docs/model-graph.md: layers that pass a mask share their input's);
 *  - fusion: an Embedding whose only consumer is an LSTM/GRU on the fused
 *    kernels is folded into that layer's input projection (a row lookup);
 *    a rank-1 Dense with linear/sigmoid/softmax runs on the dense-head
 *    kernel; Dense and Conv1D apply their activation on their own output;
 *  - buffers: values are given slots by liveness (a slot is reused once the
 *    last reader of its value has run), so a call needs one block of
 *    sum(slot sizes) + the largest layer scratch, allocated once per call.
 * Run: the layers in file order (a topological order by construction). */
#include <math.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../dispatch/dispatch.h"
#include "../kernels/common/bf16-inl.h"
#include "fpenv.h"
#include "graph-internal.h"
#include "threadpool.h"

static int mul_ok(size_t a, size_t b, size_t *out) {
  if (a != 0 && b > SIZE_MAX / a) return 0;
  *out = a * b;
  return 1;
}

static size_t numel(const arnn_shape *s) { return s->rank == 1 ? s->d[0] : s->d[0] * s->d[1]; }

static size_t gates_of(arnn_cell_kind c) { return c == ARNN_CELL_LSTM ? 4 : c == ARNN_CELL_GRU ? 3 : 1; }

/* ---- shape inference ---- */

#define SHAPE_FAIL(...)                                   \
  do {                                                    \
    if (err && err_size) snprintf(err, err_size, __VA_ARGS__); \
    return -1;                                            \
  } while (0)

static int wshape_is(const wref *w, size_t rank, size_t d0, size_t d1, size_t d2) {
  if (w->rank != rank) return 0; /* rank 0: absent (the data pointer is dropped after the build) */
  const size_t d[3] = {d0, d1, d2};
  for (size_t i = 0; i < rank; i++)
    if (w->shape[i] != d[i]) return 0;
  return 1;
}

static void fmt_wshape(const wref *w, char *out, size_t size) {
  if (w->rank == 0) {
    snprintf(out, size, "(missing)");
    return;
  }
  if (w->rank == 1) snprintf(out, size, "[%zu]", w->shape[0]);
  else if (w->rank == 2) snprintf(out, size, "[%zu, %zu]", w->shape[0], w->shape[1]);
  else snprintf(out, size, "[%zu, %zu, %zu]", w->shape[0], w->shape[1], w->shape[2]);
}

static size_t conv_out(size_t T, size_t k, size_t s, size_t d, arnn_padding_mode p) {
  if (p != ARNN_PAD_VALID) return (T + s - 1) / s;
  const size_t eff = (k - 1) * d + 1;
  return T >= eff ? (T - eff) / s + 1 : 0;
}

static int infer_node(const arnn_graph *g, int i, size_t steps, arnn_shape *shapes, char *err, size_t err_size) {
  const graph_node *n = &g->nodes[i];
  arnn_shape *out = &shapes[n->value[0]];
  const arnn_shape *in = n->n_in ? &shapes[g->nodes[n->in[0].node].value[n->in[0].out]] : NULL;
  const char *nm = n->name, *op = arnn_graph_op_names[n->op];
  char ws[64];
  switch (n->op) {
    case OP_INPUT:
      out->rank = n->in_shape.rank;
      out->d[0] = n->in_shape.d[0];
      out->d[1] = n->in_shape.d[1];
      if (n->dtype_ids || n->in_shape.rank == 2) out->d[0] = steps;
      return 0;
    case OP_EMBEDDING: {
      const graph_node *src = &g->nodes[n->in[0].node];
      if (src->op != OP_INPUT || !src->dtype_ids) SHAPE_FAIL("layer '%s' (embedding): its input must be an ids input", nm);
      if (n->w[0][0].rank != 2 || n->w[0][0].shape[0] < 1 || n->w[0][0].shape[1] < 1 ||
          n->w[0][0].shape[0] > (1u << 24) || n->w[0][0].shape[1] > 65536)
        SHAPE_FAIL("layer '%s' (embedding): embeddings must be [V <= 2^24, E <= 65536]", nm);
      *out = (arnn_shape){2, {in->d[0], n->w[0][0].shape[1]}};
      return 0;
    }
    case OP_MASKING:
      if (in->rank != 2) SHAPE_FAIL("layer '%s' (masking): needs a [T, F] input", nm);
      *out = *in;
      return 0;
    case OP_RNN: {
      if (in->rank != 2) SHAPE_FAIL("layer '%s' (rnn): needs a [T, F] input, got rank %d", nm, in->rank);
      const size_t G = gates_of(n->cell), H = n->units, F = in->d[1];
      for (int d = 0; d < 1 + n->bidirectional; d++) {
        if (!wshape_is(&n->w[d][0], 2, F, G * H, 0)) {
          fmt_wshape(&n->w[d][0], ws, sizeof ws);
          SHAPE_FAIL("layer '%s' (rnn): kernel is %s, needs [F=%zu, %zuH=%zu]", nm, ws, F, G, G * H);
        }
        if (!wshape_is(&n->w[d][1], 2, H, G * H, 0)) {
          fmt_wshape(&n->w[d][1], ws, sizeof ws);
          SHAPE_FAIL("layer '%s' (rnn): recurrent_kernel is %s, needs [H=%zu, %zu]", nm, ws, H, G * H);
        }
        if (n->use_bias && !(n->reset_after ? wshape_is(&n->w[d][2], 2, 2, G * H, 0)
                                            : wshape_is(&n->w[d][2], 1, G * H, 0, 0))) {
          fmt_wshape(&n->w[d][2], ws, sizeof ws);
          SHAPE_FAIL("layer '%s' (rnn): bias is %s, needs %s%zu]", nm, ws, n->reset_after ? "[2, " : "[", G * H);
        }
      }
      const size_t outF = n->bidirectional && n->rnn_merge_mode == RNN_MERGE_CONCAT ? 2 * H : H;
      *out = n->return_sequences ? (arnn_shape){2, {in->d[0], outF}} : (arnn_shape){1, {outF, 0}};
      return 0;
    }
    case OP_CONV1D: {
      if (in->rank != 2) SHAPE_FAIL("layer '%s' (conv1d): needs a [T, F] input", nm);
      if (!wshape_is(&n->w[0][0], 3, n->kernel_size, in->d[1], n->units)) {
        fmt_wshape(&n->w[0][0], ws, sizeof ws);
        SHAPE_FAIL("layer '%s' (conv1d): kernel is %s, needs [%zu, %zu, %zu]", nm, ws, n->kernel_size, in->d[1],
                   n->units);
      }
      if (n->use_bias && !wshape_is(&n->w[0][1], 1, n->units, 0, 0)) SHAPE_FAIL("layer '%s' (conv1d): bias must be [%zu]", nm, n->units);
      const size_t T2 = conv_out(in->d[0], n->kernel_size, n->strides, n->dilation, n->padding);
      if (T2 == 0) SHAPE_FAIL("layer '%s' (conv1d): %zu steps are fewer than its window (%zu)", nm, in->d[0],
                              (n->kernel_size - 1) * n->dilation + 1);
      *out = (arnn_shape){2, {T2, n->units}};
      return 0;
    }
    case OP_POOL1D: {
      if (in->rank != 2) SHAPE_FAIL("layer '%s' (pool1d): needs a [T, F] input", nm);
      const size_t T2 = conv_out(in->d[0], n->pool_size, n->strides, 1, n->padding);
      if (T2 == 0) SHAPE_FAIL("layer '%s' (pool1d): %zu steps are fewer than pool_size %zu", nm, in->d[0], n->pool_size);
      *out = (arnn_shape){2, {T2, in->d[1]}};
      return 0;
    }
    case OP_GLOBAL_POOL1D:
      if (in->rank != 2) SHAPE_FAIL("layer '%s' (global_pool1d): needs a [T, F] input", nm);
      *out = (arnn_shape){1, {in->d[1], 0}};
      return 0;
    case OP_DENSE: {
      const size_t F = in->d[in->rank - 1];
      if (!wshape_is(&n->w[0][0], 2, F, n->units, 0)) {
        fmt_wshape(&n->w[0][0], ws, sizeof ws);
        SHAPE_FAIL("layer '%s' (dense): kernel is %s, needs [%zu, %zu]", nm, ws, F, n->units);
      }
      if (n->use_bias && !wshape_is(&n->w[0][1], 1, n->units, 0, 0)) SHAPE_FAIL("layer '%s' (dense): bias must be [%zu]", nm, n->units);
      if (n->act.kind == ARNN_ACT_SOFTMAX && n->act.axis != in->rank - 1)
        SHAPE_FAIL("layer '%s' (dense): softmax axis %d is not the features axis", nm, n->act.axis);
      *out = *in;
      out->d[in->rank - 1] = n->units;
      return 0;
    }
    case OP_ACTIVATION:
      if (n->act.kind == ARNN_ACT_SOFTMAX && n->act.axis >= in->rank)
        SHAPE_FAIL("layer '%s' (activation): softmax axis %d on a rank-%d value", nm, n->act.axis, in->rank);
      if (n->act.kind == ARNN_ACT_PRELU &&
          !(in->rank == 1 ? wshape_is(&n->w[0][0], 1, in->d[0], 0, 0) : wshape_is(&n->w[0][0], 2, in->d[0], in->d[1], 0))) {
        fmt_wshape(&n->w[0][0], ws, sizeof ws);
        SHAPE_FAIL("layer '%s' (prelu): alpha is %s, needs the per-sample input shape", nm, ws);
      }
      *out = *in;
      return 0;
    case OP_BATCH_NORM:
    case OP_LAYER_NORM: {
      const size_t F = in->d[in->rank - 1];
      for (int k = 0; k < (n->op == OP_BATCH_NORM ? 4 : 2); k++)
        if (!wshape_is(&n->w[0][k], 1, F, 0, 0)) {
          fmt_wshape(&n->w[0][k], ws, sizeof ws);
          SHAPE_FAIL("layer '%s' (%s): parameter %d is %s, needs [%zu] (the last axis)", nm, op, k, ws, F);
        }
      *out = *in;
      return 0;
    }
    case OP_MERGE: {
      *out = *in;
      for (int k = 1; k < n->n_in; k++) {
        const arnn_shape *s = &shapes[g->nodes[n->in[k].node].value[n->in[k].out]];
        if (s->rank != in->rank) SHAPE_FAIL("layer '%s' (merge): inputs of rank %d and %d", nm, in->rank, s->rank);
        if (n->merge_mode == MERGE_CONCAT_MODE) {
          if (n->axis >= in->rank) SHAPE_FAIL("layer '%s' (merge): concat axis %d on rank-%d values", nm, n->axis, in->rank);
          for (int a = 0; a < in->rank; a++)
            if (a != n->axis && s->d[a] != in->d[a])
              SHAPE_FAIL("layer '%s' (concat): input %d has %zu along axis %d, input 0 has %zu", nm, k, s->d[a], a, in->d[a]);
          out->d[n->axis] += s->d[n->axis];
          if (out->d[n->axis] > ARNN_GRAPH_MAX_DIM) SHAPE_FAIL("layer '%s' (concat): result too large", nm);
        } else if (s->d[0] != in->d[0] || (in->rank == 2 && s->d[1] != in->d[1])) {
          SHAPE_FAIL("layer '%s' (merge): input %d's shape differs from input 0's", nm, k);
        }
      }
      return 0;
    }
    case OP_DOT: {
      const arnn_shape *b = &shapes[g->nodes[n->in[1].node].value[n->in[1].out]];
      if (n->axes[0] >= in->rank || n->axes[1] >= b->rank) SHAPE_FAIL("layer '%s' (dot): axes out of range", nm);
      if (in->d[n->axes[0]] != b->d[n->axes[1]])
        SHAPE_FAIL("layer '%s' (dot): contracted sizes %zu and %zu differ", nm, in->d[n->axes[0]], b->d[n->axes[1]]);
      size_t free_d[2];
      int r = 0;
      if (in->rank == 2) free_d[r++] = in->d[1 - n->axes[0]];
      if (b->rank == 2) free_d[r++] = b->d[1 - n->axes[1]];
      *out = r == 0 ? (arnn_shape){1, {1, 0}} : r == 1 ? (arnn_shape){1, {free_d[0], 0}} : (arnn_shape){2, {free_d[0], free_d[1]}};
      return 0;
    }
    case OP_FLATTEN:
      if (numel(in) > ARNN_GRAPH_MAX_DIM * (size_t)4) SHAPE_FAIL("layer '%s' (flatten): result too large", nm);
      *out = (arnn_shape){1, {numel(in), 0}};
      return 0;
    case OP_RESHAPE: {
      const size_t total = numel(in);
      size_t known = 1;
      int unknown = -1;
      for (int k = 0; k < n->target_rank; k++) {
        if (n->target[k] < 0) unknown = k;
        else known *= (size_t)n->target[k];
      }
      out->rank = n->target_rank;
      for (int k = 0; k < n->target_rank; k++) out->d[k] = n->target[k] < 0 ? 0 : (size_t)n->target[k];
      if (unknown >= 0) {
        if (total % known) SHAPE_FAIL("layer '%s' (reshape): %zu elements do not fill the target shape", nm, total);
        out->d[unknown] = total / known;
      } else if (known != total) {
        SHAPE_FAIL("layer '%s' (reshape): %zu elements, the target shape holds %zu", nm, total, known);
      }
      if (out->d[0] == 0 || (out->rank == 2 && out->d[1] == 0)) SHAPE_FAIL("layer '%s' (reshape): empty result", nm);
      return 0;
    }
    case OP_PERMUTE:
      if (in->rank != 2) SHAPE_FAIL("layer '%s' (permute): needs a rank-2 value", nm);
      *out = (arnn_shape){2, {in->d[1], in->d[0]}};
      return 0;
    case OP_REPEAT_VECTOR:
      if (in->rank != 1) SHAPE_FAIL("layer '%s' (repeat_vector): needs a rank-1 value", nm);
      *out = (arnn_shape){2, {n->repeat_n, in->d[0]}};
      return 0;
    case OP_ATTENTION_POOL:
      if (in->rank != 2) SHAPE_FAIL("layer '%s' (attention_pool): needs a [T, F] input", nm);
      if (!wshape_is(&n->w[0][0], 1, in->d[1], 0, 0)) SHAPE_FAIL("layer '%s' (attention_pool): weight must be [%zu]", nm, in->d[1]);
      if (n->att_bias && !wshape_is(&n->w[0][1], 1, in->d[0], 0, 0)) {
        fmt_wshape(&n->w[0][1], ws, sizeof ws);
        SHAPE_FAIL("layer '%s' (attention_pool): its per-step bias is %s, so it needs exactly that many steps, got %zu",
                   nm, ws, in->d[0]);
      }
      *out = (arnn_shape){1, {in->d[1], 0}};
      shapes[n->value[1]] = (arnn_shape){1, {in->d[0], 0}};
      return 0;
    case OP_DOT_ATTENTION:
    case OP_ADDITIVE_ATTENTION:
    case OP_MHA: {
      const arnn_shape *v = &shapes[g->nodes[n->in[1].node].value[n->in[1].out]];
      const arnn_shape *kk = n->n_in == 3 ? &shapes[g->nodes[n->in[2].node].value[n->in[2].out]] : v;
      if (in->rank != 2 || v->rank != 2 || kk->rank != 2)
        SHAPE_FAIL("layer '%s' (%s): query, value and key must be [T, F] values", nm, op);
      if (kk->d[0] != v->d[0]) SHAPE_FAIL("layer '%s' (%s): key has %zu steps, value %zu", nm, op, kk->d[0], v->d[0]);
      const size_t Tq = in->d[0], Tv = v->d[0];
      if (n->op == OP_MHA) {
        const size_t h = n->num_heads, dk = n->key_dim, dv = n->value_dim;
        const size_t want[4][3] = {{in->d[1], h, dk}, {kk->d[1], h, dk}, {v->d[1], h, dv}, {h, dv, n->output_dim}};
        const size_t wantb[4][2] = {{h, dk}, {h, dk}, {h, dv}, {n->output_dim, 0}};
        for (int p = 0; p < 4; p++) {
          if (!wshape_is(&n->w[0][p], 3, want[p][0], want[p][1], want[p][2])) {
            fmt_wshape(&n->w[0][p], ws, sizeof ws);
            SHAPE_FAIL("layer '%s' (mha): projection %d kernel is %s, needs [%zu, %zu, %zu]", nm, p, ws, want[p][0],
                       want[p][1], want[p][2]);
          }
          if (n->use_bias && !(p == 3 ? wshape_is(&n->w[1][p], 1, wantb[p][0], 0, 0)
                                      : wshape_is(&n->w[1][p], 2, wantb[p][0], wantb[p][1], 0)))
            SHAPE_FAIL("layer '%s' (mha): projection %d bias has the wrong shape", nm, p);
        }
        *out = (arnn_shape){2, {Tq, n->output_dim}};
        if (n->return_scores) {
          if (h * Tq > ARNN_GRAPH_MAX_DIM) SHAPE_FAIL("layer '%s' (mha): scores too large", nm);
          shapes[n->value[1]] = (arnn_shape){2, {h * Tq, Tv}};
        }
        return 0;
      }
      if (in->d[1] != kk->d[1])
        SHAPE_FAIL("layer '%s' (%s): query features %zu differ from the key's %zu", nm, op, in->d[1], kk->d[1]);
      if (n->op == OP_DOT_ATTENTION) {
        if (n->use_scale && !wshape_is(&n->w[0][0], 1, 1, 0, 0)) SHAPE_FAIL("layer '%s': scale must be [1]", nm);
        if (n->concat_score && !wshape_is(&n->w[0][1], 1, 1, 0, 0))
          SHAPE_FAIL("layer '%s': concat_score_weight must be [1]", nm);
      } else if (n->use_scale && !wshape_is(&n->w[0][0], 1, in->d[1], 0, 0)) {
        SHAPE_FAIL("layer '%s' (additive_attention): scale must be [%zu]", nm, in->d[1]);
      }
      *out = (arnn_shape){2, {Tq, v->d[1]}};
      if (n->return_scores) shapes[n->value[1]] = (arnn_shape){2, {Tq, Tv}};
      return 0;
    }
    case OP_CONTEXT_ATTENTION: {
      if (in->rank != 2) SHAPE_FAIL("layer '%s' (context_attention): needs a [T, F] input", nm);
      const wref *K = &n->w[0][0];
      if (K->rank != 2 || K->shape[0] != in->d[1]) {
        fmt_wshape(K, ws, sizeof ws);
        SHAPE_FAIL("layer '%s' (context_attention): kernel is %s, needs [%zu, A]", nm, ws, in->d[1]);
      }
      const size_t A = K->shape[1];
      if (n->use_bias && !wshape_is(&n->w[0][1], 1, A, 0, 0)) SHAPE_FAIL("layer '%s': bias must be [%zu]", nm, A);
      if (!wshape_is(&n->w[0][2], 1, A, 0, 0)) SHAPE_FAIL("layer '%s': context must be [%zu]", nm, A);
      *out = (arnn_shape){1, {in->d[1], 0}};
      shapes[n->value[1]] = (arnn_shape){1, {in->d[0], 0}};
      return 0;
    }
    default:
      SHAPE_FAIL("layer '%s': unknown op", nm);
  }
}

int arnn_graph_infer(const arnn_graph *g, size_t steps, arnn_shape *shapes, char *err, size_t err_size) {
  for (int i = 0; i < g->n_nodes; i++) {
    if (infer_node(g, i, steps, shapes, err, err_size) != 0) return -1;
    const graph_node *n = &g->nodes[i];
    for (int o = 0; o < n->n_out; o++) {
      const arnn_shape *s = &shapes[n->value[o]];
      if (s->d[0] == 0 || (s->rank == 2 && s->d[1] == 0) || s->d[0] > ARNN_GRAPH_MAX_DIM * (size_t)4 ||
          (s->rank == 2 && s->d[1] > ARNN_GRAPH_MAX_DIM * (size_t)4) || numel(s) > ((size_t)1 << 32))
        SHAPE_FAIL("layer '%s': output shape out of range", n->name);
    }
  }
  return 0;
}

/* ---- build ---- */

static int fast_rnn_ok(const graph_node *n) {
  return n->cell != ARNN_CELL_SIMPLE && n->act.kind == ARNN_ACT_TANH &&
         (n->ract.kind == ARNN_ACT_SIGMOID || n->ract.kind == ARNN_ACT_HARD_SIGMOID_KERAS2 ||
          n->ract.kind == ARNN_ACT_HARD_SIGMOID_KERAS3);
}

static float *copy_floats(const float *src, size_t n) {
  float *p = aligned_alloc(64, ((n ? n : 1) * sizeof(float) + 63) / 64 * 64);
  if (p) memcpy(p, src, n * sizeof(float));
  return p;
}

static void forget_weight_data(graph_node *n) {
  for (int d = 0; d < 2; d++)
    for (int k = 0; k < 4; k++) n->w[d][k].data = NULL;
}

static int value_of(const arnn_graph *g, vref r) { return g->nodes[r.node].value[r.out]; }

static arnn_status create_runtime(arnn_graph *g, graph_node *n, const arnn_shape *shapes, arnn_load_error *e) {
  arnn_status st = ARNN_OK;
  const arnn_shape *in = n->n_in ? &shapes[value_of(g, n->in[0])] : NULL;
  switch (n->op) {
    case OP_EMBEDDING:
      n->vocab = n->w[0][0].shape[0];
      if (!n->folded) {
        n->own[0] = copy_floats(n->w[0][0].data, n->vocab * n->w[0][0].shape[1]);
        if (!n->own[0]) st = ARNN_ERR_OUT_OF_MEMORY;
      }
      break;
    case OP_RNN:
      if (n->fast_rnn) {
        arnn_rnn_layer_desc d;
        arnn_rnn_layer_desc_init(&d);
        d.cell = n->cell == ARNN_CELL_LSTM ? ARNN_RNN_LSTM : ARNN_RNN_GRU;
        d.input_size = in->d[1];
        d.units = n->units;
        d.bidirectional = n->bidirectional;
        d.recurrent_activation = n->ract.kind == ARNN_ACT_SIGMOID ? ARNN_RNN_SIGMOID
                                 : n->ract.kind == ARNN_ACT_HARD_SIGMOID_KERAS2 ? ARNN_RNN_HARD_SIGMOID_KERAS2
                                                                                : ARNN_RNN_HARD_SIGMOID_KERAS3;
        d.reset_after = n->cell == ARNN_CELL_GRU ? n->reset_after : 1;
        d.masked_output = n->return_sequences && n->zero_output_for_mask ? ARNN_RNN_MASKED_ZERO : ARNN_RNN_MASKED_PREVIOUS;
        for (int dir = 0; dir < 1 + n->bidirectional; dir++) {
          const int src = n->bidirectional && n->go_backwards ? 1 - dir : dir; /* see run_rnn */
          d.kernel[dir] = n->w[src][0].data;
          d.recurrent_kernel[dir] = n->w[src][1].data;
          d.bias[dir] = n->use_bias ? n->w[src][2].data : NULL;
        }
        d.weights = n->bf16 ? ARNN_RNN_WEIGHTS_BF16 : ARNN_RNN_WEIGHTS_F32;
        float *zero_bias[2] = {NULL, NULL};
        if (!n->use_bias && n->cell == ARNN_CELL_GRU && n->reset_after) {
          /* the fused GRU with reset_after takes a [2, 3H] bias: zeros */
          for (int dir = 0; dir < 1 + n->bidirectional; dir++) {
            zero_bias[dir] = calloc(6 * n->units, sizeof(float));
            if (!zero_bias[dir]) st = ARNN_ERR_OUT_OF_MEMORY;
            d.bias[dir] = zero_bias[dir];
          }
        }
        if (n->fold_source >= 0) {
          const graph_node *emb = &g->nodes[n->fold_source];
          d.embedding = emb->w[0][0].data;
          d.vocab_size = emb->w[0][0].shape[0];
          d.fold_budget = (size_t)256 << 20;
          d.mask_zero = emb->mask_zero;
        }
        if (st == ARNN_OK) st = arnn_rnn_layer_create(&d, &n->rnn_layer);
        free(zero_bias[0]);
        free(zero_bias[1]);
      } else {
        /* bf16 kernels here: the generic path runs the rounded values in float32 */
        float *rounded[2][2] = {{NULL, NULL}, {NULL, NULL}};
        for (int dir = 0; n->bf16 && dir < 1 + n->bidirectional && st == ARNN_OK; dir++)
          for (int k = 0; k < 2 && st == ARNN_OK; k++) {
            const size_t cnt = n->w[dir][k].shape[0] * n->w[dir][k].shape[1];
            rounded[dir][k] = malloc(cnt * sizeof(float));
            if (!rounded[dir][k]) {
              st = ARNN_ERR_OUT_OF_MEMORY;
              break;
            }
            for (size_t i = 0; i < cnt; i++) rounded[dir][k][i] = arnn_f32_round_bf16(n->w[dir][k].data[i]);
          }
        for (int dir = 0; dir < 1 + n->bidirectional && st == ARNN_OK; dir++) {
          const int src = n->bidirectional && n->go_backwards ? 1 - dir : dir; /* see run_rnn */
          arnn_generic_rnn_desc d = {0};
          d.cell = n->cell;
          d.input_size = in->d[1];
          d.units = n->units;
          d.activation = n->act;
          d.recurrent_activation = n->ract;
          d.reset_after = n->reset_after;
          d.go_backwards = n->bidirectional ? dir == 1 : n->go_backwards;
          d.zero_output_for_mask = n->zero_output_for_mask;
          d.kernel = n->bf16 ? rounded[src][0] : n->w[src][0].data;
          d.recurrent_kernel = n->bf16 ? rounded[src][1] : n->w[src][1].data;
          d.bias = n->use_bias ? n->w[src][2].data : NULL;
          st = arnn_generic_rnn_create(&d, &n->generic[dir]);
        }
        for (int dir = 0; dir < 2; dir++) {
          free(rounded[dir][0]);
          free(rounded[dir][1]);
        }
      }
      break;
    case OP_CONV1D:
      st = arnn_conv1d_layer_create(in->d[1], n->units, n->kernel_size, n->strides, n->dilation, n->padding,
                                    n->w[0][0].data, n->use_bias ? n->w[0][1].data : NULL, &n->act, &n->conv);
      break;
    case OP_DENSE: {
      const size_t F = in->d[in->rank - 1];
      if (in->rank == 1 && (n->act.kind == ARNN_ACT_LINEAR || n->act.kind == ARNN_ACT_SIGMOID ||
                            n->act.kind == ARNN_ACT_SOFTMAX)) {
        st = arnn_dense_head_create(F, n->units, n->w[0][0].data, n->use_bias ? n->w[0][1].data : NULL,
                                    n->act.kind == ARNN_ACT_LINEAR    ? ARNN_DENSE_LINEAR
                                    : n->act.kind == ARNN_ACT_SIGMOID ? ARNN_DENSE_SIGMOID
                                                                      : ARNN_DENSE_SOFTMAX,
                                    &n->head);
      } else {
        st = arnn_dense_layer_create(F, n->units, n->w[0][0].data, n->use_bias ? n->w[0][1].data : NULL, &n->act,
                                     &n->dense);
      }
      break;
    }
    case OP_ACTIVATION:
      if (n->act.kind == ARNN_ACT_PRELU) {
        n->own[0] = copy_floats(n->w[0][0].data, numel(in));
        if (!n->own[0]) st = ARNN_ERR_OUT_OF_MEMORY;
        n->act.prelu_alpha = n->own[0];
      }
      break;
    case OP_BATCH_NORM:
      st = arnn_batch_norm_create(in->d[in->rank - 1], n->w[0][0].data, n->w[0][1].data, n->w[0][2].data,
                                  n->w[0][3].data, n->epsilon, &n->norm);
      break;
    case OP_LAYER_NORM:
      st = arnn_layer_norm_create(in->d[in->rank - 1], n->w[0][0].data, n->w[0][1].data, n->epsilon, &n->norm);
      break;
    case OP_DOT_ATTENTION: {
      /* own[0]: the dot scale, or the concat form's per-feature weights (all
       * concat_score_weight) with own[1][0] its tanh scale */
      const float scale = n->use_scale ? n->w[0][0].data[0] : 1.0f;
      if (n->concat_score) {
        const size_t D = in->d[1];
        n->own[0] = malloc(D * sizeof(float));
        n->own[1] = malloc(sizeof(float));
        if (!n->own[0] || !n->own[1]) st = ARNN_ERR_OUT_OF_MEMORY;
        else {
          for (size_t d = 0; d < D; d++) n->own[0][d] = n->w[0][1].data[0];
          n->own[1][0] = scale;
        }
      } else {
        n->own[0] = copy_floats(&scale, 1);
        if (!n->own[0]) st = ARNN_ERR_OUT_OF_MEMORY;
      }
      break;
    }
    case OP_ADDITIVE_ATTENTION: {
      const size_t D = in->d[1];
      n->own[0] = malloc(D * sizeof(float));
      if (!n->own[0]) st = ARNN_ERR_OUT_OF_MEMORY;
      else
        for (size_t d = 0; d < D; d++) n->own[0][d] = n->use_scale ? n->w[0][0].data[d] : 1.0f;
      break;
    }
    case OP_MHA: {
      const arnn_shape *v = &shapes[value_of(g, n->in[1])];
      const arnn_shape *kk = n->n_in == 3 ? &shapes[value_of(g, n->in[2])] : v;
      const size_t h = n->num_heads, fin[4] = {in->d[1], kk->d[1], v->d[1], h * n->value_dim},
                   fout[4] = {h * n->key_dim, h * n->key_dim, h * n->value_dim, n->output_dim};
      /* Keras' EinsumDense kernels [F, h, d] and [h, dv, out] are, read
       * flat, the [F, h*d] and [h*dv, out] matrices of one Dense each */
      for (int i = 0; i < 4 && st == ARNN_OK; i++)
        st = arnn_dense_layer_create(fin[i], fout[i], n->w[0][i].data, n->use_bias ? n->w[1][i].data : NULL, NULL,
                                     &n->proj[i]);
      break;
    }
    case OP_CONTEXT_ATTENTION: {
      const size_t A = n->w[0][0].shape[1];
      arnn_act tanh_act = {.kind = ARNN_ACT_TANH, .max_value = INFINITY};
      st = arnn_dense_layer_create(in->d[1], A, n->w[0][0].data, n->use_bias ? n->w[0][1].data : NULL, &tanh_act,
                                   &n->proj[0]);
      if (st == ARNN_OK) {
        n->own[0] = copy_floats(n->w[0][2].data, A);
        if (!n->own[0]) st = ARNN_ERR_OUT_OF_MEMORY;
      }
      break;
    }
    case OP_ATTENTION_POOL:
      n->own[0] = copy_floats(n->w[0][0].data, in->d[1]);
      if (n->att_bias) n->own[1] = copy_floats(n->w[0][1].data, in->d[0]);
      if (!n->own[0] || (n->att_bias && !n->own[1])) st = ARNN_ERR_OUT_OF_MEMORY;
      break;
    default:
      break;
  }
  if (st != ARNN_OK)
    return arnn_load_fail(e, st, "layer '%s' (%s): cannot create it: %s", n->name, arnn_graph_op_names[n->op],
                          arnn_status_str(st));
  /* the runtime owns what it needs now: forget the file's copy (the shapes
   * stay: each call's shape check reads them) */
  forget_weight_data(n);
  return ARNN_OK;
}

arnn_status arnn_graph_build(arnn_graph *g, arnn_load_error *e) {
  /* values: one per node output */
  int nv = 0;
  for (int i = 0; i < g->n_nodes; i++) nv += g->nodes[i].n_out;
  g->values = calloc((size_t)nv, sizeof *g->values);
  arnn_shape *shapes = calloc((size_t)nv, sizeof *shapes), *shapes2 = calloc((size_t)nv, sizeof *shapes2);
  arnn_status st = ARNN_OK;
  if (!g->values || !shapes || !shapes2) {
    st = arnn_load_fail(e, ARNN_ERR_OUT_OF_MEMORY, "out of memory for the graph plan");
    goto done;
  }
  g->n_values = nv;
  nv = 0;
  for (int i = 0; i < g->n_nodes; i++)
    for (int o = 0; o < g->nodes[i].n_out; o++) {
      g->nodes[i].value[o] = nv;
      g->values[nv] = (graph_value){.node = i, .out = o, .slot = -1, .last_use = -1, .mask_src = -1};
      nv++;
    }
  for (int k = 0; k < g->n_outputs; k++) {
    const int node = g->outputs[k] / 2, out = g->outputs[k] % 2;
    g->outputs[k] = g->nodes[node].value[out];
  }

  for (int i = 0; i < g->n_nodes; i++) {
    graph_node *n = &g->nodes[i];
    size_t len = 1;
    for (int k = 0; k < n->n_in; k++) len += strlen(g->nodes[n->in[k].node].name) + 3;
    n->inputs_text = malloc(len);
    if (!n->inputs_text) {
      st = arnn_load_fail(e, ARNN_ERR_OUT_OF_MEMORY, "out of memory for the graph plan");
      goto done;
    }
    size_t o = 0;
    n->inputs_text[0] = '\0';
    for (int k = 0; k < n->n_in; k++)
      o += (size_t)snprintf(n->inputs_text + o, len - o, "%s%s%s", k ? "," : "", g->nodes[n->in[k].node].name,
                            n->in[k].out ? ":1" : "");
  }

  /* shapes at the fixed T, or at max_steps; a second probe tells which dims
   * follow the steps of the call */
  char msg[240];
  const size_t steps = g->fixed_steps ? g->fixed_steps : g->max_steps;
  if (arnn_graph_infer(g, steps, shapes, msg, sizeof msg) != 0) {
    st = arnn_load_fail(e, ARNN_ERR_MALFORMED_MODEL, "graph: %s", msg);
    goto done;
  }
  if (!g->fixed_steps && steps > 1 && arnn_graph_infer(g, steps / 2 + 1, shapes2, msg, sizeof msg) == 0)
    for (int v = 0; v < g->n_values; v++)
      g->values[v].steps_dep = (shapes[v].d[0] != shapes2[v].d[0]) | (shapes[v].d[1] != shapes2[v].d[1]) << 1;
  for (int v = 0; v < g->n_values; v++) g->values[v].shape = shapes[v];

  /* masks, and the mask each consumer receives */
  for (int i = 0; i < g->n_nodes; i++) {
    graph_node *n = &g->nodes[i];
    graph_value *v = &g->values[n->value[0]];
    const graph_value *in = n->n_in ? &g->values[value_of(g, n->in[0])] : NULL;
    switch (n->op) {
      case OP_EMBEDDING:
        v->has_mask = n->mask_zero;
        break;
      case OP_MASKING:
        v->has_mask = 1;
        break;
      case OP_RNN:
        v->has_mask = n->return_sequences && in->has_mask;
        if (v->has_mask) v->mask_src = in->mask_src;
        break;
      case OP_DENSE:
      case OP_ACTIVATION:
      case OP_BATCH_NORM:
      case OP_LAYER_NORM:
        v->has_mask = in->has_mask && v->shape.rank == 2;
        if (v->has_mask) v->mask_src = in->mask_src;
        break;
      case OP_DOT_ATTENTION:
      case OP_ADDITIVE_ATTENTION:
      case OP_MHA:
        /* Keras' attention layers return the query's mask */
        v->has_mask = in->has_mask;
        if (v->has_mask) v->mask_src = in->mask_src;
        break;
      case OP_MERGE: {
        int any = 0;
        for (int k = 0; k < n->n_in; k++) any |= g->values[value_of(g, n->in[k])].has_mask;
        if (any && n->merge_mode == MERGE_CONCAT_MODE && n->axis == 0) {
          st = arnn_load_fail(e, ARNN_ERR_UNSUPPORTED, "layer '%s' (merge): concatenating masked values along the steps axis",
                              n->name);
          goto done;
        }
        v->has_mask = any;
        break;
      }
      default:
        break;
    }
    if (v->has_mask && v->mask_src < 0) v->mask_src = n->value[0];
  }

  /* fast recurrent layers; fold an embedding into its only consumer */
  for (int i = 0; i < g->n_nodes; i++) {
    graph_node *n = &g->nodes[i];
    if (n->op != OP_RNN) continue;
    n->fast_rnn = fast_rnn_ok(n);
    const graph_node *src = &g->nodes[n->in[0].node];
    if (!n->fast_rnn || src->op != OP_EMBEDDING || n->go_backwards) continue;
    const int ev = src->value[0];
    int consumers = 0;
    for (int j = 0; j < g->n_nodes; j++)
      for (int k = 0; k < g->nodes[j].n_in; k++) consumers += value_of(g, g->nodes[j].in[k]) == ev;
    for (int k = 0; k < g->n_outputs; k++) consumers += g->outputs[k] == ev;
    if (consumers == 1) {
      n->fold_source = n->in[0].node;
      g->nodes[n->in[0].node].folded = 1;
    }
  }

  /* runtime objects */
  for (int i = 0; i < g->n_nodes; i++) {
    graph_node *n = &g->nodes[i];
    if (n->op == OP_EMBEDDING && n->folded) continue; /* created with its consumer */
    if (create_runtime(g, n, shapes, e) != ARNN_OK) {
      st = e->status;
      goto done;
    }
  }
  for (int i = 0; i < g->n_nodes; i++)
    if (g->nodes[i].op == OP_EMBEDDING && g->nodes[i].folded) {
      g->nodes[i].vocab = g->nodes[i].w[0][0].shape[0];
      forget_weight_data(&g->nodes[i]);
    }

  /* liveness and slots */
  for (int i = 0; i < g->n_nodes; i++)
    for (int k = 0; k < g->nodes[i].n_in; k++) {
      graph_value *v = &g->values[value_of(g, g->nodes[i].in[k])];
      if (v->last_use < i) v->last_use = i;
    }
  for (int k = 0; k < g->n_outputs; k++) g->values[g->outputs[k]].last_use = g->n_nodes;
  g->attention_value = -1;
  for (int i = 0; i < g->n_nodes && g->attention_value < 0; i++)
    if (g->nodes[i].op == OP_ATTENTION_POOL) {
      /* the weights stay readable to the end of a run: arnn_predict_options
       * asks for them even when the Keras model does not output them */
      g->attention_value = g->nodes[i].value[1];
      g->values[g->attention_value].last_use = g->n_nodes;
    }
  {
    int *slot_free_after = calloc((size_t)g->n_values + 1, sizeof *slot_free_after);
    if (!slot_free_after) {
      st = arnn_load_fail(e, ARNN_ERR_OUT_OF_MEMORY, "out of memory for the graph plan");
      goto done;
    }
    int n_slots = 0;
    for (int i = 0; i < g->n_nodes; i++) {
      const graph_node *n = &g->nodes[i];
      if (n->op == OP_INPUT || (n->op == OP_EMBEDDING && n->folded)) continue;
      for (int o = 0; o < n->n_out; o++) {
        graph_value *v = &g->values[n->value[o]];
        if (v->last_use < 0) v->last_use = i; /* written, never read: still needs a place */
        int s = -1;
        for (int c = 0; c < n_slots && s < 0; c++)
          if (slot_free_after[c] < i) s = c;
        if (s < 0) s = n_slots++;
        v->slot = s;
        slot_free_after[s] = v->last_use;
        /* a value read by this very node must not share its slot: last_use >= i keeps it taken */
      }
    }
    free(slot_free_after);
    g->n_slots = n_slots;
  }
done:
  free(shapes);
  free(shapes2);
  return st;
}

/* ---- the version-1 chain ---- */

arnn_status arnn_graph_from_v1(const arnn_model_info *in, const float *embedding, const float *const kernel[2],
                               const float *const recurrent[2], const float *const bias[2], const float *att_w,
                               const float *att_b, const float *dense_k, const float *dense_b, int rnn_bf16,
                               arnn_graph **out, arnn_load_error *e) {
  *out = NULL;
  arnn_graph *g = calloc(1, sizeof *g);
  const int ids = in->input == ARNN_INPUT_IDS;
  const int n_nodes = 4 + ids;
  if (g) g->nodes = calloc((size_t)n_nodes, sizeof *g->nodes);
  if (!g || !g->nodes) {
    free(g);
    return arnn_load_fail(e, ARNN_ERR_OUT_OF_MEMORY, "out of memory for the graph");
  }
  g->n_nodes = n_nodes;
  g->fixed_steps = g->max_steps = in->T;
  const size_t G = in->cell == ARNN_RNN_LSTM ? 4 : 3, H = in->H;
  int k = 0;
  graph_node *n = &g->nodes[k];
  *n = (graph_node){.op = OP_INPUT, .n_out = 1, .fold_source = -1, .dtype_ids = ids};
  snprintf(n->name, sizeof n->name, "%s", ids ? "ids" : "input");
  n->in_shape = ids ? (arnn_shape){1, {in->T, 0}} : (arnn_shape){2, {in->T, in->E}};
  g->inputs[g->n_inputs++] = k;
  if (ids) {
    n = &g->nodes[++k];
    *n = (graph_node){.op = OP_EMBEDDING, .n_out = 1, .fold_source = -1, .n_in = 1, .in = {{k - 1, 0}},
                      .mask_zero = in->mask_zero};
    snprintf(n->name, sizeof n->name, "embedding");
    n->w[0][0] = (wref){embedding, 2, {in->V, in->E, 0}};
  }
  n = &g->nodes[++k];
  *n = (graph_node){.op = OP_RNN, .n_out = 1, .fold_source = -1, .n_in = 1, .in = {{k - 1, 0}},
                    .cell = in->cell == ARNN_RNN_LSTM ? ARNN_CELL_LSTM : ARNN_CELL_GRU, .units = H, .bidirectional = 1,
                    .return_sequences = 1, .reset_after = in->cell == ARNN_RNN_GRU && in->gru_reset_after,
                    .use_bias = 1, .zero_output_for_mask = 1, .rnn_merge_mode = RNN_MERGE_CONCAT};
  snprintf(n->name, sizeof n->name, "rnn");
  n->act.kind = ARNN_ACT_TANH;
  n->ract.kind = in->recurrent_activation == ARNN_RNN_SIGMOID ? ARNN_ACT_SIGMOID
                 : in->recurrent_activation == ARNN_RNN_HARD_SIGMOID_KERAS2 ? ARNN_ACT_HARD_SIGMOID_KERAS2
                                                                            : ARNN_ACT_HARD_SIGMOID_KERAS3;
  n->bf16 = rnn_bf16;
  for (int d = 0; d < 2; d++) {
    n->w[d][0] = (wref){kernel[d], 2, {in->E, G * H, 0}};
    n->w[d][1] = (wref){recurrent[d], 2, {H, G * H, 0}};
    n->w[d][2] = n->reset_after ? (wref){bias[d], 2, {2, G * H, 0}} : (wref){bias[d], 1, {G * H, 0, 0}};
  }
  n = &g->nodes[++k];
  *n = (graph_node){.op = OP_ATTENTION_POOL, .n_out = 2, .fold_source = -1, .n_in = 1, .in = {{k - 1, 0}},
                    .att_form = in->attention, .epsilon = ARNN_ATTENTION_DEFAULT_EPSILON, .att_bias = in->attention_bias};
  snprintf(n->name, sizeof n->name, "attention");
  n->w[0][0] = (wref){att_w, 1, {2 * H, 0, 0}};
  if (in->attention_bias) n->w[0][1] = (wref){att_b, 1, {in->T, 0, 0}};
  n = &g->nodes[++k];
  *n = (graph_node){.op = OP_DENSE, .n_out = 1, .fold_source = -1, .n_in = 1, .in = {{k - 1, 0}}, .units = in->C,
                    .use_bias = 1};
  snprintf(n->name, sizeof n->name, "dense");
  n->act.kind = in->head == ARNN_DENSE_SIGMOID ? ARNN_ACT_SIGMOID : ARNN_ACT_SOFTMAX;
  n->w[0][0] = (wref){dense_k, 2, {2 * H, in->C, 0}};
  n->w[0][1] = (wref){dense_b, 1, {in->C, 0, 0}};
  g->outputs[0] = k * 2;
  snprintf(g->output_names[0], sizeof g->output_names[0], "dense");
  g->n_outputs = 1; /* the attention weights: arnn_predict_options.attention */
  if (arnn_graph_build(g, e) != ARNN_OK) {
    arnn_graph_free(g);
    return e->status;
  }
  *out = g;
  return ARNN_OK;
}

void arnn_graph_free(arnn_graph *g) {
  if (!g) return;
  for (int i = 0; g->nodes && i < g->n_nodes; i++) {
    graph_node *n = &g->nodes[i];
    arnn_rnn_layer_destroy(n->rnn_layer);
    arnn_generic_rnn_destroy(n->generic[0]);
    arnn_generic_rnn_destroy(n->generic[1]);
    arnn_dense_layer_destroy(n->dense);
    arnn_dense_head_free(n->head);
    arnn_conv1d_layer_destroy(n->conv);
    arnn_norm_layer_destroy(n->norm);
    for (int p = 0; p < 4; p++) arnn_dense_layer_destroy(n->proj[p]);
    free(n->own[0]);
    free(n->own[1]);
    free(n->inputs_text);
  }
  free(g->nodes);
  free(g->values);
  for (int i = 0; i < ARNN_GRAPH_BLOCK_CACHE; i++) free(atomic_load(&g->cache[i]));
  free(g);
}

/* ---- accessors ---- */

size_t arnn_graph_num_inputs(const arnn_graph *g) { return (size_t)g->n_inputs; }

int arnn_graph_has_steps(const arnn_graph *g) {
  for (int i = 0; i < g->n_inputs; i++) {
    const graph_node *n = &g->nodes[g->inputs[i]];
    if (n->dtype_ids || n->in_shape.rank == 2) return 1;
  }
  return 0;
}
size_t arnn_graph_num_outputs(const arnn_graph *g) { return (size_t)g->n_outputs; }
size_t arnn_graph_fixed_steps(const arnn_graph *g) { return g->fixed_steps; }
size_t arnn_graph_max_steps(const arnn_graph *g) { return g->max_steps; }

void arnn_graph_input_desc(const arnn_graph *g, size_t i, const char **name, int *dtype, arnn_shape *shape) {
  const graph_node *n = &g->nodes[g->inputs[i]];
  *name = n->name;
  *dtype = n->dtype_ids ? 0 : 1;
  *shape = n->in_shape;
}

/* A value's shape as the descriptions give it: 0 for a dimension that
 * follows the steps of the call. */
static arnn_shape described_shape(const graph_value *v) {
  arnn_shape s = v->shape;
  if (v->steps_dep & 1) s.d[0] = 0;
  if (v->steps_dep & 2) s.d[1] = 0;
  return s;
}

void arnn_graph_output_desc(const arnn_graph *g, size_t i, const char **name, arnn_shape *shape) {
  *name = g->output_names[i];
  *shape = described_shape(&g->values[g->outputs[i]]);
}

int arnn_graph_output_shape(const arnn_graph *g, size_t i, size_t steps, arnn_shape *shape, char *err,
                            size_t err_size) {
  if (g->fixed_steps || !g->values[g->outputs[i]].steps_dep) {
    *shape = g->values[g->outputs[i]].shape;
    return 0;
  }
  arnn_shape *shapes = calloc((size_t)g->n_values, sizeof *shapes);
  if (!shapes) {
    if (err && err_size) snprintf(err, err_size, "out of memory");
    return -1;
  }
  int rc = arnn_graph_infer(g, steps, shapes, err, err_size);
  if (rc == 0) *shape = shapes[g->outputs[i]];
  free(shapes);
  return rc;
}

size_t arnn_graph_attention_steps(const arnn_graph *g) {
  return g->attention_value < 0 ? 0 : g->values[g->attention_value].shape.d[0];
}

/* ---- run ---- */

typedef struct {
  const arnn_graph *g;
  size_t B, steps;
  arnn_shape *shapes;
  void **slot_ptr;          /* per slot */
  unsigned char **mask_ptr; /* per value (producers only) */
  const void **input_ptr;   /* per graph input node index -> data */
  float *scratch;
  arnn_threadpool *pool;
} run_ctx;

static const float *val_ptr(const run_ctx *c, int v) {
  const graph_value *gv = &c->g->values[v];
  if (gv->slot < 0) return c->input_ptr[gv->node];
  return c->slot_ptr[gv->slot];
}

static const unsigned char *val_mask(const run_ctx *c, int v) {
  const graph_value *gv = &c->g->values[v];
  return gv->has_mask ? c->mask_ptr[gv->mask_src] : NULL;
}

static size_t rnn_scratch_floats(const graph_node *n, const arnn_shape *in, size_t B, int with_ids) {
  const size_t T = in->d[0], F = in->d[1], H = n->units, D = 1 + (size_t)n->bidirectional;
  size_t s = 0;
  s += B * T * D * H;                       /* full sequence output */
  if (n->go_backwards) s += B * T * (with_ids ? 1 : F) + B * T; /* reversed input + mask (bytes fit in floats) */
  if (!n->fast_rnn) {
    s += B * T * H * D; /* per-direction outputs */
    size_t g = 0;
    for (size_t d = 0; d < D; d++) {
      size_t x = arnn_generic_rnn_scratch_floats(n->generic[d], B, T);
      if (x > g) g = x;
    }
    s += g;
  }
  return s + 64;
}

static size_t node_scratch_floats(const run_ctx *c, const graph_node *n) {
  const arnn_shape *in = n->n_in ? &c->shapes[value_of(c->g, n->in[0])] : NULL;
  const size_t B = c->B;
  switch (n->op) {
    case OP_RNN:
      return rnn_scratch_floats(n, in, B, n->fold_source >= 0);
    case OP_DENSE:
      return n->dense ? arnn_dense_layer_scratch_floats(n->dense, B * (in->rank == 2 ? in->d[0] : 1)) : 0;
    case OP_CONV1D:
      return arnn_conv1d_layer_scratch_floats(n->conv, B, in->d[0]);
    case OP_DOT_ATTENTION:
    case OP_ADDITIVE_ATTENTION:
      return 0;
    case OP_MHA: {
      const size_t Tq = in->d[0], Tv = c->shapes[value_of(c->g, n->in[1])].d[0], h = n->num_heads;
      size_t s = B * Tq * h * n->key_dim + B * Tv * h * n->key_dim + B * Tv * h * n->value_dim +
                 B * Tq * h * n->value_dim + B * Tv / sizeof(float) + 64;
      size_t p = 0;
      const size_t rows[4] = {B * Tq, B * Tv, B * Tv, B * Tq};
      for (int i = 0; i < 4; i++) {
        const size_t x = arnn_dense_layer_scratch_floats(n->proj[i], rows[i]);
        if (x > p) p = x;
      }
      return s + p;
    }
    case OP_CONTEXT_ATTENTION: {
      const size_t T = in->d[0], A = n->w[0][0].shape[1];
      return B * T * A + T + arnn_dense_layer_scratch_floats(n->proj[0], B * T) + 32;
    }
    case OP_DOT: {
      const arnn_shape *b = &c->shapes[value_of(c->g, n->in[1])];
      return arnn_dot_scratch_floats(B, in->rank == 2 ? in->d[0] : 1, in->rank == 2 ? in->d[1] : in->d[0],
                                     b->rank == 2 ? b->d[0] : 1, b->rank == 2 ? b->d[1] : b->d[0]);
    }
    default:
      return 0;
  }
}

static void merge_pair(rnn_merge m, const float *a, const float *b, size_t n, float *y) {
  for (size_t i = 0; i < n; i++) {
    switch (m) {
      case RNN_MERGE_SUM: y[i] = a[i] + b[i]; break;
      case RNN_MERGE_AVE: y[i] = (a[i] + b[i]) * 0.5f; break; /* Keras: (y + y_rev) / 2, exact as * 0.5 */
      case RNN_MERGE_MUL: y[i] = a[i] * b[i]; break;
      default: break;
    }
  }
}

static arnn_status run_rnn(run_ctx *c, const graph_node *n, float *out) {
  const arnn_graph *g = c->g;
  const int iv = value_of(g, n->in[0]);
  const arnn_shape *in = &c->shapes[iv];
  const size_t B = c->B, T = in->d[0], F = in->d[1], H = n->units, D = 1 + (size_t)n->bidirectional;
  const unsigned char *mask = val_mask(c, iv);
  const int folded = n->fold_source >= 0;
  const void *x = folded ? val_ptr(c, value_of(g, g->nodes[n->fold_source].in[0])) : (const void *)val_ptr(c, iv);
  float *s = c->scratch;
  /* the layer's own output when it is the full sequence as computed (no
   * merge, no reordering): no copy */
  const int direct = n->return_sequences && (D == 1 || n->rnn_merge_mode == RNN_MERGE_CONCAT) &&
                     !(n->bidirectional && n->go_backwards);
  float *full = direct ? out : s;
  s += B * T * D * H;
  if (n->go_backwards && !n->bidirectional && n->fast_rnn) {
    /* Keras go_backwards: the t-th processed step is x[T-1-t]; the output
     * stays in processing order. The fused layer reads forward, so it gets
     * the sequence reversed. */
    const size_t row = folded ? 1 : F;
    float *rx = s;
    unsigned char *rm = mask ? (unsigned char *)(s + B * T * row) : NULL;
    for (size_t b = 0; b < B; b++)
      for (size_t t = 0; t < T; t++) {
        memcpy(rx + (b * T + t) * row, (const float *)x + (b * T + (T - 1 - t)) * row, row * sizeof(float));
        if (rm) rm[b * T + t] = mask[b * T + (T - 1 - t)];
      }
    x = rx;
    mask = rm;
    s += B * T * row + B * T;
  }
  arnn_status st = ARNN_OK;
  if (n->fast_rnn) {
    st = folded ? arnn_rnn_layer_forward_ids(n->rnn_layer, c->pool, B, T, x, mask, full)
                : arnn_rnn_layer_forward(n->rnn_layer, c->pool, B, T, x, mask, full);
    if (st != ARNN_OK) return st;
  } else {
    float *dir_out = s;
    s += B * T * H * D;
    for (size_t d = 0; d < D; d++) {
      float *y = dir_out + d * B * T * H;
      arnn_generic_rnn_apply(n->generic[d], B, T, x, mask, 1, y, s);
      for (size_t b = 0; b < B; b++)
        for (size_t t = 0; t < T; t++) {
          /* Bidirectional re-reverses the backward layer's sequence */
          const size_t src_t = d == 1 ? T - 1 - t : t;
          memcpy(full + (b * T + t) * D * H + d * H, y + (b * T + src_t) * H, H * sizeof(float));
        }
    }
  }
  if (n->bidirectional && n->go_backwards) {
    /* Keras Bidirectional around a go_backwards layer: its forward layer
     * reads the sequence reversed and keeps processing order, the backward
     * copy (go_backwards flipped) reads it in order and is reversed back. The
     * two directions above ran with those weights swapped (natural order with
     * the backward layer's, reversed with the forward layer's), so the Keras
     * sequence at step t is [dir 1, dir 0] at step T-1-t: reverse the steps
     * and swap the halves. The last-step extraction below then picks Keras'
     * y[-1] and y_rev[-1]. */
    for (size_t b = 0; b < B; b++)
      for (size_t t = 0; t < (T + 1) / 2; t++) {
        float *p = full + (b * T + t) * 2 * H, *q = full + (b * T + (T - 1 - t)) * 2 * H;
        for (size_t h = 0; h < H; h++) {
          const float pf = p[h], pb = p[H + h], qf = q[h], qb = q[H + h];
          p[h] = qb;
          p[H + h] = qf;
          q[h] = pb;
          q[H + h] = pf;
        }
      }
  }
  /* the layer's output from the full [B, T, D*H] sequence */
  const size_t outF = D == 2 && n->rnn_merge_mode == RNN_MERGE_CONCAT ? 2 * H : H;
  for (size_t b = 0; b < B; b++) {
    if (n->return_sequences) {
      for (size_t t = 0; t < T; t++) {
        const float *r = full + (b * T + t) * D * H;
        float *o = out + (b * T + t) * outF;
        if (direct) break;
        if (D == 1 || n->rnn_merge_mode == RNN_MERGE_CONCAT) memcpy(o, r, outF * sizeof(float));
        else merge_pair(n->rnn_merge_mode, r, r + H, H, o);
      }
    } else {
      /* forward: the output after the last step; backward (re-reversed): the
       * output at position 0, i.e. after its last processed step */
      const float *fw = full + (b * T + (T - 1)) * D * H;
      float *o = out + b * outF;
      if (D == 1) {
        memcpy(o, fw, H * sizeof(float));
      } else {
        const float *bw = full + (b * T) * D * H + H;
        if (n->rnn_merge_mode == RNN_MERGE_CONCAT) {
          memcpy(o, fw, H * sizeof(float));
          memcpy(o + H, bw, H * sizeof(float));
        } else {
          merge_pair(n->rnn_merge_mode, fw, bw, H, o);
        }
      }
    }
  }
  return ARNN_OK;
}

/* One fused attention call per (sequence, head), spread over the pool: the
 * items are independent and each computes its rows in the kernel's fixed
 * order, so the bits do not depend on the thread count. */
typedef struct {
  arnn_sdpa_args base;
  arnn_f32_sdpa_fn fn;
  size_t heads, Tq, Tv, dk, dv;
  const float *q, *k, *v;       /* sequence b, head g at + b * *_seq + g * dk (dv) */
  size_t q_seq, k_seq, v_seq, o_seq;
  float *out, *probs;           /* probs: [B][heads][Tq][Tv] or NULL */
  const unsigned char *vis;     /* [B][Tv] key visibility, or NULL (all visible) */
  const unsigned char *qm;      /* [B][Tq] query mask or NULL */
  int mha, empty_rows_zero;
} attention_job;

static void attention_item(void *ctx, size_t item) {
  const attention_job *j = ctx;
  const arnn_fpenv fpenv = arnn_fpenv_enter_ftz(); /* as on the calling thread */
  const size_t b = item / j->heads, g = item % j->heads, Tq = j->Tq, Tv = j->Tv, dv = j->dv;
  arnn_sdpa_args a = j->base;
  a.q = j->q + b * j->q_seq + g * j->dk;
  a.k = j->k + b * j->k_seq + g * j->dk;
  a.v = j->v + b * j->v_seq + g * dv;
  a.kmask = j->vis ? j->vis + b * Tv : NULL;
  a.out = j->out + b * j->o_seq + g * dv;
  a.probs = j->probs ? j->probs + (b * j->heads + g) * Tq * Tv : NULL;
  j->fn(&a);
  const unsigned char *qm = j->qm ? j->qm + b * Tq : NULL;
  if (!j->mha) {
    /* Keras Attention: result *= query mask */
    if (qm)
      for (size_t i = 0; i < Tq; i++)
        if (!qm[i]) memset(a.out + i * a.ldo, 0, dv * sizeof(float));
  } else {
    /* MHA: a masked query row sees no key, like a row whose keys are all
     * hidden. The kernel gives such rows uniform weights (tf.keras' Softmax
     * adding -1e9); Keras >= 3.10's Softmax zeroes them. */
    for (size_t i = 0; i < Tq; i++) {
      int any = !qm || qm[i];
      if (any) {
        any = 0;
        const size_t last = a.causal ? (i < Tv ? i + 1 : Tv) : Tv;
        for (size_t t = 0; t < last && !any; t++) any = !a.kmask || a.kmask[t];
      }
      if (any) continue;
      float *o = a.out + i * a.ldo, *p = a.probs ? a.probs + i * Tv : NULL;
      if (j->empty_rows_zero) {
        memset(o, 0, dv * sizeof(float));
        if (p) memset(p, 0, Tv * sizeof(float));
      } else {
        const float u = 1.0f / (float)Tv;
        for (size_t e = 0; e < dv; e++) {
          float acc = 0.0f;
          for (size_t t = 0; t < Tv; t++) acc = fmaf(u, a.v[t * a.ldv + e], acc);
          o[e] = acc;
        }
        if (p)
          for (size_t t = 0; t < Tv; t++) p[t] = u;
      }
    }
  }
  arnn_fpenv_restore(fpenv);
}

/* [B][Tv] key visibility: the value mask AND (key_mask, when given); NULL
 * when every key of every sequence is visible. */
static const unsigned char *key_visibility(const unsigned char *vm, const unsigned char *km, size_t n,
                                           unsigned char *buf) {
  if (!km) return vm;
  if (!vm) return km;
  for (size_t j = 0; j < n; j++) buf[j] = vm[j] != 0 && km[j] != 0;
  return buf;
}

/* Keras' Attention and AdditiveAttention (base_dense_attention /
 * attention.py): scores, softmax with masked scores minus 1e9, weights @
 * values, then the query mask multiplies the result rows. Keras passes
 * mask=[query_mask, value_mask]: a separate key's own mask is not used. */
static arnn_status run_dense_attention(run_ctx *c, const graph_node *n, float *y) {
  const arnn_graph *g = c->g;
  const int qv = value_of(g, n->in[0]), vv = value_of(g, n->in[1]), kv = n->n_in == 3 ? value_of(g, n->in[2]) : vv;
  const arnn_shape *qs = &c->shapes[qv], *vs = &c->shapes[vv];
  const size_t Tq = qs->d[0], D = qs->d[1], Tv = vs->d[0], Dv = vs->d[1];
  attention_job j = {.fn = arnn_dispatch()->sdpa.fn, .heads = 1, .Tq = Tq, .Tv = Tv, .dk = D, .dv = Dv,
                     .q = val_ptr(c, qv), .k = val_ptr(c, kv), .v = val_ptr(c, vv), .q_seq = Tq * D,
                     .k_seq = Tv * D, .v_seq = Tv * Dv, .o_seq = Tq * Dv, .out = y,
                     .probs = n->return_scores ? c->slot_ptr[g->values[n->value[1]].slot] : NULL,
                     .vis = val_mask(c, vv), .qm = val_mask(c, qv)};
  arnn_sdpa_args *a = &j.base;
  *a = (arnn_sdpa_args){.Tq = Tq, .Tv = Tv, .D = D, .Dv = Dv, .ldq = D, .ldk = D, .ldv = Dv, .causal = n->causal,
                        .ldo = Dv, .ldp = Tv};
  if (n->op == OP_DOT_ATTENTION && !n->concat_score) {
    a->score_mode = ARNN_SDPA_DOT;
    a->scale = n->own[0][0];
  } else {
    a->score_mode = ARNN_SDPA_ADDITIVE;
    a->scale = n->op == OP_DOT_ATTENTION ? n->own[1][0] : 1.0f;
    a->w = n->own[0];
  }
  arnn_threadpool_run(c->pool, c->B, attention_item, &j);
  return ARNN_OK;
}

/* Keras MultiHeadAttention over the steps axis (multi_head_attention.py):
 * EinsumDense projections, the query scaled by 1/sqrt(key_dim), per-head
 * masked softmax attention, the output projection. The attention mask is
 * Keras' automatic one: query mask x (value mask AND key mask), and causal. */
static arnn_status run_mha(run_ctx *c, const graph_node *n, float *y) {
  const arnn_graph *g = c->g;
  const int qv = value_of(g, n->in[0]), vv = value_of(g, n->in[1]), kv = n->n_in == 3 ? value_of(g, n->in[2]) : vv;
  const size_t B = c->B, Tq = c->shapes[qv].d[0], Tv = c->shapes[vv].d[0], h = n->num_heads, dk = n->key_dim,
               dv = n->value_dim;
  const unsigned char *vm = val_mask(c, vv), *km = kv != vv ? val_mask(c, kv) : NULL;
  float *Q = c->scratch, *K = Q + B * Tq * h * dk, *V = K + B * Tv * h * dk, *O = V + B * Tv * h * dv;
  unsigned char *vis = (unsigned char *)(O + B * Tq * h * dv);
  float *ps = (float *)(vis + (B * Tv / sizeof(float) + 16) * sizeof(float));
  arnn_dense_layer_apply(n->proj[0], B * Tq, val_ptr(c, qv), Q, ps);
  arnn_dense_layer_apply(n->proj[1], B * Tv, val_ptr(c, kv), K, ps);
  arnn_dense_layer_apply(n->proj[2], B * Tv, val_ptr(c, vv), V, ps);
  const float inv_sqrt = (float)(1.0 / sqrt((double)dk)); /* Keras: 1.0 / math.sqrt(float(key_dim)), cast */
  for (size_t i = 0; i < B * Tq * h * dk; i++) Q[i] *= inv_sqrt;
  attention_job j = {.fn = arnn_dispatch()->sdpa.fn, .heads = h, .Tq = Tq, .Tv = Tv, .dk = dk, .dv = dv,
                     .q = Q, .k = K, .v = V, .q_seq = Tq * h * dk, .k_seq = Tv * h * dk, .v_seq = Tv * h * dv,
                     .o_seq = Tq * h * dv, .out = O,
                     .probs = n->return_scores ? c->slot_ptr[g->values[n->value[1]].slot] : NULL,
                     .vis = key_visibility(vm, km, B * Tv, vis), .qm = val_mask(c, qv), .mha = 1,
                     .empty_rows_zero = n->empty_rows_zero};
  j.base = (arnn_sdpa_args){.Tq = Tq, .Tv = Tv, .D = dk, .Dv = dv, .ldq = h * dk, .ldk = h * dk, .ldv = h * dv,
                            .score_mode = ARNN_SDPA_DOT, .scale = 1.0f, .causal = n->causal, .ldo = h * dv,
                            .ldp = Tv};
  arnn_threadpool_run(c->pool, B * h, attention_item, &j);
  arnn_dense_layer_apply(n->proj[3], B * Tq, O, y, ps);
  return ARNN_OK;
}

/* Hierarchical-attention pooling (AttentionWithContext / AttLayer):
 * u_t = tanh(x_t W + b), e_t = u_t . context, then the softmax or the
 * epsilon normalization over the kept steps, output sum_t a_t x_t. */
static arnn_status run_context_attention(run_ctx *c, const graph_node *n, float *y) {
  const arnn_graph *g = c->g;
  const int iv = value_of(g, n->in[0]);
  const size_t B = c->B, T = c->shapes[iv].d[0], F = c->shapes[iv].d[1], AA = n->w[0][0].shape[1];
  const float *x = val_ptr(c, iv);
  const unsigned char *mask = val_mask(c, iv);
  float *wts = c->slot_ptr[g->values[n->value[1]].slot];
  float *U = c->scratch, *e = U + B * T * AA, *ps = e + T + 16;
  arnn_dense_layer_apply(n->proj[0], B * T, x, U, ps);
  for (size_t b = 0; b < B; b++) {
    const unsigned char *m = mask ? mask + b * T : NULL;
    float *a = wts + b * T;
    for (size_t t = 0; t < T; t++) {
      float acc = 0.0f;
      for (size_t k = 0; k < AA; k++) acc = fmaf(U[(b * T + t) * AA + k], n->own[0][k], acc);
      e[t] = acc;
    }
    float mx = -INFINITY;
    if (n->att_form == ARNN_ATTENTION_SOFTMAX) {
      for (size_t t = 0; t < T; t++)
        if ((!m || m[t]) && e[t] > mx) mx = e[t];
      if (mx == -INFINITY) mx = 0.0f; /* no kept step */
      for (size_t t = 0; t < T; t++) e[t] -= mx;
    }
    arnn_vexp_f32(e, a, T);
    float S = 0.0f;
    for (size_t t = 0; t < T; t++) {
      if (m && !m[t]) a[t] = 0.0f;
      S += a[t];
    }
    const float d = n->att_form == ARNN_ATTENTION_SOFTMAX ? S : S + n->epsilon;
    float *o = y + b * F;
    memset(o, 0, F * sizeof(float));
    if (d == 0.0f) continue; /* every step masked: zero weights and context */
    for (size_t t = 0; t < T; t++) {
      a[t] /= d;
      if (m && !m[t]) continue; /* a masked step is skipped, not multiplied by 0 */
      for (size_t f = 0; f < F; f++) o[f] = fmaf(a[t], x[(b * T + t) * F + f], o[f]);
    }
  }
  return ARNN_OK;
}

static arnn_status run_node(run_ctx *c, int i) {
  const arnn_graph *g = c->g;
  const graph_node *n = &g->nodes[i];
  if (n->op == OP_INPUT) return ARNN_OK;
  const int iv = n->n_in ? value_of(g, n->in[0]) : -1;
  const arnn_shape *in = iv >= 0 ? &c->shapes[iv] : NULL;
  const float *x = iv >= 0 ? val_ptr(c, iv) : NULL;
  const int ov = n->value[0];
  const arnn_shape *os = &c->shapes[ov];
  float *y = g->values[ov].slot >= 0 ? c->slot_ptr[g->values[ov].slot] : NULL;
  const size_t B = c->B;
  switch (n->op) {
    case OP_EMBEDDING: {
      const int *ids = (const int *)x;
      const size_t T = in->d[0], E = os->d[1];
      unsigned char *m = g->values[ov].has_mask ? c->mask_ptr[ov] : NULL;
      if (n->folded) {
        /* the recurrent layer reads (and range-checks) the ids itself:
         * only the mask is made here */
        if (m)
          for (size_t k = 0; k < B * T; k++) m[k] = ids[k] != 0;
        return ARNN_OK;
      }
      for (size_t k = 0; k < B * T; k++)
        if (ids[k] < 0 || (size_t)ids[k] >= n->vocab) return ARNN_ERR_OUT_OF_RANGE;
      for (size_t k = 0; k < B * T; k++) {
        if (m) m[k] = ids[k] != 0;
        memcpy(y + k * E, n->own[0] + (size_t)ids[k] * E, E * sizeof(float));
      }
      return ARNN_OK;
    }
    case OP_MASKING: {
      const size_t T = in->d[0], F = in->d[1];
      unsigned char *m = c->mask_ptr[ov];
      for (size_t k = 0; k < B * T; k++) {
        int keep = 0;
        for (size_t f = 0; f < F; f++) keep |= x[k * F + f] != n->mask_value;
        m[k] = (unsigned char)keep;
        for (size_t f = 0; f < F; f++) y[k * F + f] = keep ? x[k * F + f] : 0.0f;
      }
      return ARNN_OK;
    }
    case OP_RNN:
      return run_rnn(c, n, y);
    case OP_CONV1D:
      arnn_conv1d_layer_apply(n->conv, B, in->d[0], x, y, c->scratch);
      return ARNN_OK;
    case OP_POOL1D:
      arnn_pool1d_apply(n->pool_mode, n->pool_size, n->strides, n->padding, B, in->d[0], in->d[1], x, y);
      return ARNN_OK;
    case OP_GLOBAL_POOL1D:
      arnn_global_pool1d_apply(n->pool_mode, B, in->d[0], in->d[1], x, n->masked ? val_mask(c, iv) : NULL, y);
      return ARNN_OK;
    case OP_DENSE:
      if (n->head) return arnn_dense_head_apply(n->head, B, x, y);
      arnn_dense_layer_apply(n->dense, B * (in->rank == 2 ? in->d[0] : 1), x, y, c->scratch);
      return ARNN_OK;
    case OP_ACTIVATION:
      memcpy(y, x, B * numel(in) * sizeof(float));
      arnn_act_apply(&n->act, B, in->rank == 2 ? in->d[0] : 1, in->rank == 2 ? in->d[1] : in->d[0], NULL, y);
      return ARNN_OK;
    case OP_BATCH_NORM:
    case OP_LAYER_NORM:
      arnn_norm_layer_apply(n->norm, B * numel(in) / in->d[in->rank - 1], x, y);
      return ARNN_OK;
    case OP_MERGE: {
      const float *xs[ARNN_GRAPH_MAX_FANIN];
      size_t rows[ARNN_GRAPH_MAX_FANIN], cols[ARNN_GRAPH_MAX_FANIN];
      for (int k = 0; k < n->n_in; k++) {
        const int v = value_of(g, n->in[k]);
        const arnn_shape *s = &c->shapes[v];
        xs[k] = val_ptr(c, v);
        rows[k] = s->rank == 2 ? s->d[0] : 1;
        cols[k] = s->rank == 2 ? s->d[1] : s->d[0];
      }
      if (n->merge_mode == MERGE_CONCAT_MODE)
        arnn_concat(B, (size_t)n->n_in, xs, rows, cols, in->rank == 2 ? n->axis : 1, y);
      else
        arnn_merge_elementwise((arnn_merge_mode)n->merge_mode, (size_t)n->n_in, xs, B * numel(in), y);
      if (g->values[ov].has_mask && g->values[ov].mask_src == ov) {
        /* Keras Merge.compute_mask: the AND of the inputs' masks (an input
         * without a mask counts as all kept) */
        unsigned char *m = c->mask_ptr[ov];
        const size_t T = os->d[0];
        memset(m, 1, B * T);
        for (int k = 0; k < n->n_in; k++) {
          const unsigned char *mk = val_mask(c, value_of(g, n->in[k]));
          if (mk)
            for (size_t j = 0; j < B * T; j++) m[j] &= mk[j] != 0;
        }
      }
      return ARNN_OK;
    }
    case OP_DOT: {
      const int bv = value_of(g, n->in[1]);
      const arnn_shape *bs = &c->shapes[bv];
      arnn_dot(B, in->rank == 2 ? in->d[0] : 1, in->rank == 2 ? in->d[1] : in->d[0], x,
               in->rank == 2 ? n->axes[0] : 1, bs->rank == 2 ? bs->d[0] : 1, bs->rank == 2 ? bs->d[1] : bs->d[0],
               val_ptr(c, bv), bs->rank == 2 ? n->axes[1] : 1, n->normalize, y, c->scratch);
      return ARNN_OK;
    }
    case OP_FLATTEN:
    case OP_RESHAPE:
      memcpy(y, x, B * numel(in) * sizeof(float));
      return ARNN_OK;
    case OP_PERMUTE:
      arnn_transpose(B, in->d[0], in->d[1], x, y);
      return ARNN_OK;
    case OP_REPEAT_VECTOR:
      arnn_repeat_vector(B, in->d[0], n->repeat_n, x, y);
      return ARNN_OK;
    case OP_DOT_ATTENTION:
    case OP_ADDITIVE_ATTENTION:
      return run_dense_attention(c, n, y);
    case OP_MHA:
      return run_mha(c, n, y);
    case OP_CONTEXT_ATTENTION:
      return run_context_attention(c, n, y);
    case OP_ATTENTION_POOL: {
      const arnn_attention_options opt = {.struct_size = sizeof opt, .form = n->att_form, .epsilon = n->epsilon};
      float *w = c->slot_ptr[g->values[n->value[1]].slot];
      return arnn_attention_pool_f32(B, in->d[0], in->d[1], x, n->own[0], n->own[1], val_mask(c, iv), &opt, y, w);
    }
    default:
      return ARNN_ERR_UNSUPPORTED;
  }
}

static size_t round64(size_t bytes) { return (bytes + 63) / 64 * 64; }

/* The per-call block: a small cache keeps the last calls' blocks (one per
 * concurrent caller, up to ARNN_GRAPH_BLOCK_CACHE), so repeated calls reuse
 * warm pages instead of mapping fresh ones (a block over glibc's mmap
 * threshold would otherwise page-fault in full on every call). A call takes
 * a cached block atomically or allocates its own; concurrent calls never
 * share one. The cache is not part of the graph's value. */
typedef struct {
  size_t bytes;
  max_align_t pad[];
} block_head;

static unsigned char *take_block(const arnn_graph *g, size_t bytes) {
  arnn_graph *mg = (arnn_graph *)g;
  block_head *h = NULL;
  for (int i = 0; i < ARNN_GRAPH_BLOCK_CACHE && !h; i++) {
    h = atomic_exchange(&mg->cache[i], NULL);
    if (h && h->bytes < bytes) {
      free(h);
      h = NULL;
    }
  }
  if (!h) {
    const size_t head = round64(sizeof(block_head));
    if (bytes > SIZE_MAX - head - 64) return NULL;
    h = aligned_alloc(64, head + round64(bytes));
    if (!h) return NULL;
    h->bytes = bytes;
  }
  return (unsigned char *)h + round64(sizeof(block_head));
}

static void put_block(const arnn_graph *g, unsigned char *p) {
  arnn_graph *mg = (arnn_graph *)g;
  block_head *h = (block_head *)(p - round64(sizeof(block_head)));
  for (int i = 0; i < ARNN_GRAPH_BLOCK_CACHE; i++) {
    void *expected = NULL;
    if (atomic_compare_exchange_strong(&mg->cache[i], &expected, h)) return;
  }
  free(h);
}

arnn_status arnn_graph_run(const arnn_graph *g, arnn_threadpool *pool, size_t B, size_t steps,
                           const void *const *inputs, const size_t *lengths, int post_padding,
                           float *const *outputs, float *attention) {
  if (attention && g->attention_value < 0) return ARNN_ERR_INVALID_ARGUMENT;
  if (!g || !inputs || !outputs || B == 0) return ARNN_ERR_INVALID_ARGUMENT;
  if (!arnn_graph_has_steps(g)) steps = 1; /* no input has a steps axis: nothing to choose */
  if (steps == 0) return ARNN_ERR_INVALID_ARGUMENT;
  if (steps > g->max_steps) return ARNN_ERR_OUT_OF_RANGE;
  if (g->fixed_steps && steps != g->fixed_steps) return ARNN_ERR_SHAPE_MISMATCH;
  for (int i = 0; i < g->n_inputs; i++)
    if (!inputs[i]) return ARNN_ERR_INVALID_ARGUMENT;
  if (lengths)
    for (size_t b = 0; b < B; b++)
      if (lengths[b] > steps) return ARNN_ERR_OUT_OF_RANGE;

  arnn_shape *shapes = calloc((size_t)g->n_values, sizeof *shapes);
  size_t *slot_bytes = calloc((size_t)g->n_slots + 1, sizeof *slot_bytes);
  void **slot_ptr = calloc((size_t)g->n_slots + 1, sizeof *slot_ptr);
  unsigned char **mask_ptr = calloc((size_t)g->n_values, sizeof *mask_ptr);
  const void **input_ptr = calloc((size_t)g->n_nodes, sizeof *input_ptr);
  unsigned char *block = NULL;
  arnn_status st = ARNN_OK;
  if (!shapes || !slot_bytes || !slot_ptr || !mask_ptr || !input_ptr) {
    st = ARNN_ERR_OUT_OF_MEMORY;
    goto done;
  }
  if (arnn_graph_infer(g, steps, shapes, NULL, 0) != 0) {
    st = ARNN_ERR_SHAPE_MISMATCH;
    goto done;
  }
  run_ctx c = {g, B, steps, shapes, slot_ptr, mask_ptr, input_ptr, NULL, pool};
  /* sizes: slots, masks, padded inputs, scratch */
  size_t total = 0, scratch = 0, tmp;
  for (int v = 0; v < g->n_values; v++) {
    const graph_value *gv = &g->values[v];
    if (gv->slot < 0) continue;
    if (!mul_ok(B, numel(&shapes[v]), &tmp) || !mul_ok(tmp, sizeof(float), &tmp)) {
      st = ARNN_ERR_OUT_OF_RANGE;
      goto done;
    }
    if (tmp > slot_bytes[gv->slot]) slot_bytes[gv->slot] = tmp;
  }
  for (int s = 0; s < g->n_slots; s++) total += round64(slot_bytes[s]);
  for (int v = 0; v < g->n_values; v++)
    if (g->values[v].has_mask && g->values[v].mask_src == v) total += round64(B * shapes[v].d[0]);
  if (lengths)
    for (int i = 0; i < g->n_inputs; i++) total += round64(B * numel(&shapes[g->nodes[g->inputs[i]].value[0]]) * 4);
  for (int i = 0; i < g->n_nodes; i++) {
    size_t s = node_scratch_floats(&c, &g->nodes[i]);
    if (s > scratch) scratch = s;
  }
  if (scratch > (SIZE_MAX - total) / 8) {
    st = ARNN_ERR_OUT_OF_RANGE;
    goto done;
  }
  total += round64(scratch * sizeof(float));
  block = take_block(g, total ? total : 64);
  if (!block) {
    st = ARNN_ERR_OUT_OF_MEMORY;
    goto done;
  }
  {
    unsigned char *p = block;
    for (int s = 0; s < g->n_slots; s++) {
      slot_ptr[s] = p;
      p += round64(slot_bytes[s]);
    }
    for (int v = 0; v < g->n_values; v++)
      if (g->values[v].has_mask && g->values[v].mask_src == v) {
        mask_ptr[v] = p;
        p += round64(B * shapes[v].d[0]);
      }
    for (int i = 0; i < g->n_inputs; i++) {
      const int node = g->inputs[i];
      const arnn_shape *s = &shapes[g->nodes[node].value[0]];
      input_ptr[node] = inputs[i];
      if (!lengths) continue;
      /* pad_sequences: the slots outside the real steps hold id 0 / zero
       * vectors whatever the caller left there */
      const int has_steps = g->nodes[node].dtype_ids || s->rank == 2;
      const size_t row = s->rank == 2 ? s->d[1] : 1, per = numel(s);
      unsigned char *dst = p;
      p += round64(B * per * 4);
      memcpy(dst, inputs[i], B * per * 4);
      if (has_steps)
        for (size_t b = 0; b < B; b++) {
          const size_t len = lengths[b], first = post_padding ? 0 : steps - len;
          for (size_t t = 0; t < steps; t++)
            if (t < first || t >= first + len) memset(dst + (b * per + t * row) * 4, 0, row * 4);
        }
      input_ptr[node] = dst;
    }
    c.scratch = (float *)p;
  }
  {
    const arnn_fpenv saved = arnn_fpenv_enter_ftz();
    for (int i = 0; i < g->n_nodes && st == ARNN_OK; i++) st = run_node(&c, i);
    arnn_fpenv_restore(saved);
  }
  if (st == ARNN_OK)
    for (int k = 0; k < g->n_outputs; k++)
      if (outputs[k]) {
        const int v = g->outputs[k];
        memcpy(outputs[k], val_ptr(&c, v), B * numel(&shapes[v]) * sizeof(float));
      }
  if (st == ARNN_OK && attention)
    memcpy(attention, val_ptr(&c, g->attention_value), B * numel(&shapes[g->attention_value]) * sizeof(float));
done:
  if (block) put_block(g, block);
  free(shapes);
  free(slot_bytes);
  free(slot_ptr);
  free(mask_ptr);
  free(input_ptr);
  return st;
}

/* ---- description ---- */

static const char *node_kernel(const graph_node *n) {
  const char *k = NULL;
  switch (n->op) {
    case OP_INPUT: return "-";
    case OP_RNN:
      if (!n->fast_rnn) return "generic recurrent step + gemm";
      k = arnn_kernel_name(n->cell == ARNN_CELL_LSTM ? (n->bf16 ? "lstm_step_bf16" : "lstm_step")
                                                     : (n->bf16 ? "gru_step_bf16" : "gru_step"));
      break;
    case OP_DENSE: k = arnn_kernel_name(n->head ? "dense_head" : "gemm"); break;
    case OP_CONV1D: k = arnn_kernel_name("gemm"); break;
    case OP_ATTENTION_POOL: k = arnn_kernel_name("attention_pool"); break;
    case OP_DOT_ATTENTION:
    case OP_ADDITIVE_ATTENTION:
    case OP_MHA: k = arnn_kernel_name("sdpa"); break;
    case OP_CONTEXT_ATTENTION: k = arnn_kernel_name("gemm"); break;
    case OP_EMBEDDING: return n->folded ? "folded into the next layer's projection" : "row gather";
    default: return "scalar loop";
  }
  return k ? k : "-";
}

size_t arnn_graph_num_nodes(const arnn_graph *g) { return (size_t)g->n_nodes; }

const char *arnn_graph_node_weights(const arnn_graph *g, size_t i) {
  const graph_node *n = &g->nodes[i];
  if (n->op == OP_RNN && n->bf16) return "bf16";
  for (int d = 0; d < 2; d++)
    for (int k = 0; k < 4; k++)
      if (n->w[d][k].rank) return "f32";
  return "";
}

void arnn_graph_node_desc(const arnn_graph *g, size_t i, const char **name, const char **op, const char **inputs,
                          const char **kernel, arnn_shape *shape, int *has_mask) {
  const graph_node *n = &g->nodes[i];
  const graph_value *v = &g->values[n->value[0]];
  *name = n->name;
  *op = arnn_graph_op_names[n->op];
  *inputs = n->inputs_text ? n->inputs_text : "";
  *kernel = node_kernel(n);
  *shape = described_shape(v);
  *has_mask = v->has_mask;
}
