/* The graph schema: every key of the graph document checked (type, range,
 * required, no unknown key), every edge resolved to an earlier layer or an
 * input (so no cycle can be written), every weight taken from the file by
 * name with its shape recorded; docs/model-graph.md is the specification.
 * Shapes are checked afterwards by arnn_graph_build (graph.c). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "graph-internal.h"
#include "json.h"

const char *const arnn_graph_op_names[OP_COUNT] = {
    "input",     "embedding", "masking", "rnn",     "conv1d",  "pool1d",  "global_pool1d",
    "dense",     "activation", "batch_norm", "layer_norm", "merge", "dot", "flatten",
    "reshape",   "permute",   "repeat_vector", "attention_pool", "dot_attention", "additive_attention",
    "mha",       "context_attention"};

typedef struct {
  const json_value *obj;
  unsigned char used[ARNN_JSON_MAX_MEMBERS];
  const char *where; /* "layer 'x'" for messages */
  arnn_load_error *e;
} keyset;

static const json_value *key_get(keyset *k, const char *key) {
  for (size_t i = 0; i < k->obj->n; i++)
    if (strcmp(k->obj->keys[i], key) == 0) {
      k->used[i] = 1;
      return &k->obj->items[i];
    }
  arnn_load_fail(k->e, ARNN_ERR_MALFORMED_MODEL, "graph: %s lacks the key \"%s\"", k->where, key);
  return NULL;
}

static int key_bool(keyset *k, const char *key, int *out) {
  const json_value *v = key_get(k, key);
  if (!v) return -1;
  if (v->type != JSON_TRUE && v->type != JSON_FALSE) {
    arnn_load_fail(k->e, ARNN_ERR_MALFORMED_MODEL, "graph: %s: \"%s\" must be true or false", k->where, key);
    return -1;
  }
  *out = v->type == JSON_TRUE;
  return 0;
}

static int value_uint(keyset *k, const char *key, const json_value *v, size_t lo, size_t hi, size_t *out) {
  if (!v || v->type != JSON_NUMBER || !v->is_integer || v->integer < (int64_t)lo || v->integer > (int64_t)hi) {
    arnn_load_fail(k->e, ARNN_ERR_MALFORMED_MODEL, "graph: %s: \"%s\" must be an integer in [%zu, %zu]", k->where,
                   key, lo, hi);
    return -1;
  }
  *out = (size_t)v->integer;
  return 0;
}

static int key_uint(keyset *k, const char *key, size_t lo, size_t hi, size_t *out) {
  const json_value *v = key_get(k, key);
  if (!v) return -1;
  return value_uint(k, key, v, lo, hi, out);
}

static int key_float(keyset *k, const char *key, double lo, double hi, float *out) {
  const json_value *v = key_get(k, key);
  if (!v) return -1;
  if (v->type != JSON_NUMBER || !(v->number >= lo && v->number <= hi)) {
    arnn_load_fail(k->e, ARNN_ERR_MALFORMED_MODEL, "graph: %s: \"%s\" must be a number in [%g, %g]", k->where, key,
                   lo, hi);
    return -1;
  }
  *out = (float)v->number;
  return 0;
}

static int key_enum(keyset *k, const char *key, const char *const *words, int n, int allow_null, int *out) {
  const json_value *v = key_get(k, key);
  if (!v) return -1;
  if (allow_null && v->type == JSON_NULL) {
    *out = -1;
    return 0;
  }
  if (v->type == JSON_STRING)
    for (int i = 0; i < n; i++)
      if (strcmp(v->string, words[i]) == 0) {
        *out = i;
        return 0;
      }
  char list[256];
  size_t o = 0;
  list[0] = '\0';
  for (int i = 0; i < n && o < sizeof list; i++) o += (size_t)snprintf(list + o, sizeof list - o, "%s%s", i ? ", " : "", words[i]);
  arnn_load_fail(k->e, ARNN_ERR_MALFORMED_MODEL, "graph: %s: \"%s\" must be one of %s%s", k->where, key, list,
                 allow_null ? " or null" : "");
  return -1;
}

static int keys_done(keyset *k) {
  for (size_t i = 0; i < k->obj->n; i++)
    if (!k->used[i]) {
      arnn_load_fail(k->e, ARNN_ERR_MALFORMED_MODEL, "graph: %s: unknown key \"%.64s\"", k->where, k->obj->keys[i]);
      return -1;
    }
  return 0;
}

/* An activation object {"name": ..., extra keys}. */
static int parse_activation(keyset *parent, const char *key, arnn_act *act) {
  const json_value *v = key_get(parent, key);
  if (!v) return -1;
  char where[200];
  snprintf(where, sizeof where, "%s: %s", parent->where, key);
  if (v->type != JSON_OBJECT) {
    arnn_load_fail(parent->e, ARNN_ERR_MALFORMED_MODEL, "graph: %s must be an object {\"name\": ...}", where);
    return -1;
  }
  keyset k = {v, {0}, where, parent->e};
  const json_value *name = key_get(&k, "name");
  if (!name) return -1;
  int kind = name->type == JSON_STRING ? arnn_act_from_name(name->string) : -1;
  if (kind < 0) {
    arnn_load_fail(parent->e, ARNN_ERR_MALFORMED_MODEL, "graph: %s: unknown activation \"%.64s\"", where,
                   name->type == JSON_STRING ? name->string : "(not a string)");
    return -1;
  }
  memset(act, 0, sizeof *act);
  act->kind = (arnn_act_kind)kind;
  act->max_value = INFINITY;
  switch (act->kind) {
    case ARNN_ACT_RELU: {
      if (key_float(&k, "negative_slope", -1e30, 1e30, &act->negative_slope) != 0 ||
          key_float(&k, "threshold", -1e30, 1e30, &act->threshold) != 0)
        return -1;
      const json_value *mv = key_get(&k, "max_value");
      if (!mv) return -1;
      if (mv->type == JSON_NULL) act->max_value = INFINITY;
      else if (mv->type == JSON_NUMBER && fabs(mv->number) <= 1e30) act->max_value = (float)mv->number;
      else {
        arnn_load_fail(parent->e, ARNN_ERR_MALFORMED_MODEL, "graph: %s: max_value must be a number or null", where);
        return -1;
      }
      break;
    }
    case ARNN_ACT_LEAKY_RELU:
    case ARNN_ACT_ELU:
      if (key_float(&k, "alpha", -1e30, 1e30, &act->alpha) != 0) return -1;
      break;
    case ARNN_ACT_SOFTMAX: {
      size_t axis;
      if (key_uint(&k, "axis", 0, 1, &axis) != 0) return -1;
      act->axis = (int)axis;
      break;
    }
    default: break;
  }
  return keys_done(&k);
}

static int valid_name(const char *s, size_t n) {
  if (n == 0 || n > ARNN_GRAPH_MAX_NAME) return 0;
  for (size_t i = 0; i < n; i++) {
    const char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
          c == '-'))
      return 0;
  }
  return 1;
}

static int cmp_tensor_name(const void *key, const void *elem) {
  return strcmp((const char *)key, ((const arnn_weight_tensor *)elem)->name);
}

/* BF16 in the file: the kernel and recurrent_kernel of an LSTM/GRU only
 * (docs/model-graph.md); the parameter is "<direction>/<name>". */
static int bf16_allowed(const graph_node *n, const char *param) {
  const char *slash = strrchr(param, '/');
  const char *leaf = slash ? slash + 1 : param;
  return n->op == OP_RNN && n->cell != ARNN_CELL_SIMPLE &&
         (strcmp(leaf, "kernel") == 0 || strcmp(leaf, "recurrent_kernel") == 0);
}

/* Weight `<layer>/<param>`: required (or optional when `optional`), of rank
 * within [1, 3]; its shape is checked against the layer's shapes later. */
static int take_weight(arnn_weight_set *ws, graph_node *n, const char *param, int optional, wref *out,
                       arnn_load_error *e) {
  char full[ARNN_GRAPH_MAX_NAME + 64];
  snprintf(full, sizeof full, "%s/%s", n->name, param);
  arnn_weight_tensor *t = ws->n ? bsearch(full, ws->t, ws->n, sizeof *ws->t, cmp_tensor_name) : NULL;
  memset(out, 0, sizeof *out);
  if (!t) {
    if (optional) return 0;
    arnn_load_fail(e, ARNN_ERR_MALFORMED_MODEL, "graph: layer '%s' (%s) needs the tensor %s, which is missing",
                   n->name, arnn_graph_op_names[n->op], full);
    return -1;
  }
  if (t->rank < 1 || t->rank > 3) {
    arnn_load_fail(e, ARNN_ERR_MALFORMED_MODEL, "tensor %s: rank %zu (1 to 3 expected)", full, t->rank);
    return -1;
  }
  if (t->bf16 && !bf16_allowed(n, param)) {
    arnn_load_fail(e, ARNN_ERR_MALFORMED_MODEL,
                   "tensor %s: dtype BF16 is only allowed for the kernel and recurrent_kernel of an LSTM or GRU layer "
                   "(docs/model-graph.md)",
                   full);
    return -1;
  }
  t->used = 1;
  n->bf16_tensors += t->bf16;
  out->data = t->data;
  out->rank = t->rank;
  for (size_t i = 0; i < t->rank; i++) out->shape[i] = (size_t)t->shape[i];
  return 0;
}

typedef struct {
  const char *name;
  int node;
} name_entry;

static int find_name(const name_entry *names, int n, const char *s, size_t len) {
  for (int i = 0; i < n; i++)
    if (strlen(names[i].name) == len && memcmp(names[i].name, s, len) == 0) return names[i].node;
  return -1;
}

/* "name" or "name:k" -> (node, k); the node must exist already (earlier). */
static int parse_ref(const json_value *v, const arnn_graph *g, const name_entry *names, int n_names, vref *out,
                     const char *where, arnn_load_error *e) {
  if (!v || v->type != JSON_STRING) {
    arnn_load_fail(e, ARNN_ERR_MALFORMED_MODEL, "graph: %s: a tensor reference must be a string", where);
    return -1;
  }
  const char *s = v->string, *colon = strchr(s, ':');
  size_t len = colon ? (size_t)(colon - s) : v->n;
  int k = 0;
  if (colon) {
    if (strcmp(colon + 1, "0") == 0) k = 0;
    else if (strcmp(colon + 1, "1") == 0) k = 1;
    else {
      arnn_load_fail(e, ARNN_ERR_MALFORMED_MODEL, "graph: %s: bad output index in \"%.140s\"", where, s);
      return -1;
    }
  }
  int node = find_name(names, n_names, s, len);
  if (node < 0) {
    arnn_load_fail(e, ARNN_ERR_MALFORMED_MODEL,
                   "graph: %s: \"%.140s\" is not an input or a layer listed before it (dangling edge or cycle)", where,
                   s);
    return -1;
  }
  if (k >= g->nodes[node].n_out) {
    arnn_load_fail(e, ARNN_ERR_MALFORMED_MODEL, "graph: %s: layer '%s' has no output %d", where, g->nodes[node].name, k);
    return -1;
  }
  out->node = node;
  out->out = k;
  return 0;
}

static const char *const w_cell[] = {"lstm", "gru", "simple"};
static const char *const w_rnn_merge[] = {"concat", "sum", "ave", "mul"};
static const char *const w_padding[] = {"valid", "same", "causal"};
static const char *const w_pool[] = {"max", "avg"};
static const char *const w_merge[] = {"add", "subtract", "multiply", "average", "maximum", "minimum", "concat"};
static const char *const w_form[] = {"eps", "softmax"};
static const char *const w_score[] = {"dot", "concat"};
static const char *const w_empty[] = {"uniform", "zero"};

static int parse_layer_params(keyset *k, graph_node *n, arnn_weight_set *ws, arnn_load_error *e) {
  size_t u;
  int x;
  switch (n->op) {
    case OP_EMBEDDING:
      if (key_bool(k, "mask_zero", &n->mask_zero) != 0) return -1;
      return take_weight(ws, n, "embeddings", 0, &n->w[0][0], e);
    case OP_MASKING:
      return key_float(k, "mask_value", -1e38, 1e38, &n->mask_value);
    case OP_RNN: {
      if (key_enum(k, "cell", w_cell, 3, 0, &x) != 0) return -1;
      n->cell = (arnn_cell_kind)x;
      if (key_uint(k, "units", 1, 16384, &n->units) != 0 || key_bool(k, "bidirectional", &n->bidirectional) != 0 ||
          key_bool(k, "return_sequences", &n->return_sequences) != 0 ||
          key_bool(k, "go_backwards", &n->go_backwards) != 0 || key_bool(k, "reset_after", &n->reset_after) != 0 ||
          key_bool(k, "use_bias", &n->use_bias) != 0 ||
          key_bool(k, "zero_output_for_mask", &n->zero_output_for_mask) != 0)
        return -1;
      if (key_enum(k, "merge_mode", w_rnn_merge, 4, 1, &x) != 0) return -1;
      if ((x < 0) != !n->bidirectional) {
        arnn_load_fail(e, ARNN_ERR_MALFORMED_MODEL, "graph: %s: merge_mode must be %s", k->where,
                       n->bidirectional ? "concat, sum, ave or mul when bidirectional" : "null when not bidirectional");
        return -1;
      }
      n->rnn_merge_mode = x < 0 ? RNN_MERGE_CONCAT : (rnn_merge)x;
      if (n->cell != ARNN_CELL_GRU && n->reset_after) {
        arnn_load_fail(e, ARNN_ERR_MALFORMED_MODEL, "graph: %s: reset_after is for GRU only", k->where);
        return -1;
      }
      if (parse_activation(k, "activation", &n->act) != 0) return -1;
      if (n->cell == ARNN_CELL_SIMPLE) {
        const json_value *v = key_get(k, "recurrent_activation");
        if (!v) return -1;
        if (v->type != JSON_NULL) {
          arnn_load_fail(e, ARNN_ERR_MALFORMED_MODEL, "graph: %s: recurrent_activation must be null for a simple cell",
                         k->where);
          return -1;
        }
        n->ract.kind = ARNN_ACT_LINEAR;
      } else if (parse_activation(k, "recurrent_activation", &n->ract) != 0) {
        return -1;
      }
      if (n->act.kind == ARNN_ACT_SOFTMAX || n->act.kind == ARNN_ACT_PRELU || n->ract.kind == ARNN_ACT_SOFTMAX ||
          n->ract.kind == ARNN_ACT_PRELU) {
        arnn_load_fail(e, ARNN_ERR_UNSUPPORTED, "graph: %s: softmax / prelu cannot be a recurrent cell's activation",
                       k->where);
        return -1;
      }
      for (int d = 0; d < 1 + n->bidirectional; d++) {
        const char *dir = d ? "backward" : "forward";
        char p[32];
        snprintf(p, sizeof p, "%s/kernel", dir);
        if (take_weight(ws, n, p, 0, &n->w[d][0], e) != 0) return -1;
        snprintf(p, sizeof p, "%s/recurrent_kernel", dir);
        if (take_weight(ws, n, p, 0, &n->w[d][1], e) != 0) return -1;
        snprintf(p, sizeof p, "%s/bias", dir);
        if (n->use_bias && take_weight(ws, n, p, 0, &n->w[d][2], e) != 0) return -1;
      }
      /* bf16 kernels: all of the layer's or none (a layer runs one step kernel) */
      if (n->bf16_tensors != 0 && n->bf16_tensors != 2 * (1 + n->bidirectional)) {
        arnn_load_fail(e, ARNN_ERR_MALFORMED_MODEL,
                       "graph: layer '%s': its kernels mix BF16 and F32 tensors (all of them or none may be BF16)",
                       n->name);
        return -1;
      }
      n->bf16 = n->bf16_tensors != 0 || (ws->rnn_bf16 && n->cell != ARNN_CELL_SIMPLE);
      return 0;
    }
    case OP_CONV1D:
      if (key_uint(k, "filters", 1, ARNN_GRAPH_MAX_DIM, &n->units) != 0 ||
          key_uint(k, "kernel_size", 1, 65536, &n->kernel_size) != 0 ||
          key_uint(k, "strides", 1, 65536, &n->strides) != 0 ||
          key_uint(k, "dilation_rate", 1, 65536, &n->dilation) != 0 ||
          key_enum(k, "padding", w_padding, 3, 0, &x) != 0)
        return -1;
      n->padding = (arnn_padding_mode)x;
      if (n->strides > 1 && n->dilation > 1) {
        arnn_load_fail(e, ARNN_ERR_MALFORMED_MODEL, "graph: %s: strides > 1 with dilation_rate > 1 (Keras refuses it)",
                       k->where);
        return -1;
      }
      if (parse_activation(k, "activation", &n->act) != 0 || key_bool(k, "use_bias", &n->use_bias) != 0) return -1;
      if (take_weight(ws, n, "kernel", 0, &n->w[0][0], e) != 0) return -1;
      return n->use_bias ? take_weight(ws, n, "bias", 0, &n->w[0][1], e) : 0;
    case OP_POOL1D:
      if (key_enum(k, "mode", w_pool, 2, 0, &x) != 0) return -1;
      n->pool_mode = (arnn_pool_mode)x;
      if (key_uint(k, "pool_size", 1, 65536, &n->pool_size) != 0 || key_uint(k, "strides", 1, 65536, &n->strides) != 0 ||
          key_enum(k, "padding", w_padding, 2, 0, &x) != 0)
        return -1;
      n->padding = (arnn_padding_mode)x;
      return 0;
    case OP_GLOBAL_POOL1D:
      if (key_enum(k, "mode", w_pool, 2, 0, &x) != 0) return -1;
      n->pool_mode = (arnn_pool_mode)x;
      return key_bool(k, "masked", &n->masked);
    case OP_DENSE:
      if (key_uint(k, "units", 1, ARNN_GRAPH_MAX_DIM, &n->units) != 0 || parse_activation(k, "activation", &n->act) != 0 ||
          key_bool(k, "use_bias", &n->use_bias) != 0)
        return -1;
      if (n->act.kind == ARNN_ACT_PRELU) {
        arnn_load_fail(e, ARNN_ERR_MALFORMED_MODEL, "graph: %s: prelu is a layer, not a Dense activation", k->where);
        return -1;
      }
      if (take_weight(ws, n, "kernel", 0, &n->w[0][0], e) != 0) return -1;
      return n->use_bias ? take_weight(ws, n, "bias", 0, &n->w[0][1], e) : 0;
    case OP_ACTIVATION:
      if (parse_activation(k, "activation", &n->act) != 0) return -1;
      return n->act.kind == ARNN_ACT_PRELU ? take_weight(ws, n, "alpha", 0, &n->w[0][0], e) : 0;
    case OP_BATCH_NORM:
      if (key_float(k, "epsilon", 0, 1e10, &n->epsilon) != 0) return -1;
      if (take_weight(ws, n, "gamma", 0, &n->w[0][0], e) != 0 || take_weight(ws, n, "beta", 0, &n->w[0][1], e) != 0 ||
          take_weight(ws, n, "moving_mean", 0, &n->w[0][2], e) != 0 ||
          take_weight(ws, n, "moving_variance", 0, &n->w[0][3], e) != 0)
        return -1;
      return 0;
    case OP_LAYER_NORM:
      if (key_float(k, "epsilon", 0, 1e10, &n->epsilon) != 0) return -1;
      if (take_weight(ws, n, "gamma", 0, &n->w[0][0], e) != 0 || take_weight(ws, n, "beta", 0, &n->w[0][1], e) != 0)
        return -1;
      return 0;
    case OP_MERGE: {
      if (key_enum(k, "mode", w_merge, 7, 0, &x) != 0) return -1;
      n->merge_mode = x == 6 ? MERGE_CONCAT_MODE : x;
      const json_value *ax = key_get(k, "axis");
      if (!ax) return -1;
      if (n->merge_mode == MERGE_CONCAT_MODE) {
        if (value_uint(k, "axis", ax, 0, 1, &u) != 0) return -1;
        n->axis = (int)u;
      } else if (ax->type != JSON_NULL) {
        arnn_load_fail(e, ARNN_ERR_MALFORMED_MODEL, "graph: %s: axis must be null for mode %s", k->where,
                       w_merge[x]);
        return -1;
      }
      return 0;
    }
    case OP_DOT: {
      const json_value *a = key_get(k, "axes");
      if (!a) return -1;
      if (a->type != JSON_ARRAY || a->n != 2) {
        arnn_load_fail(e, ARNN_ERR_MALFORMED_MODEL, "graph: %s: axes must be [a, b]", k->where);
        return -1;
      }
      for (int i = 0; i < 2; i++) {
        if (value_uint(k, "axes", &a->items[i], 0, 1, &u) != 0) return -1;
        n->axes[i] = (int)u;
      }
      return key_bool(k, "normalize", &n->normalize);
    }
    case OP_FLATTEN:
      return 0;
    case OP_RESHAPE: {
      const json_value *t = key_get(k, "target_shape");
      if (!t) return -1;
      if (t->type != JSON_ARRAY || t->n < 1 || t->n > 2) {
        arnn_load_fail(e, ARNN_ERR_MALFORMED_MODEL, "graph: %s: target_shape must have 1 or 2 entries", k->where);
        return -1;
      }
      n->target_rank = (int)t->n;
      int unknown = 0;
      for (size_t i = 0; i < t->n; i++) {
        const json_value *d = &t->items[i];
        if (d->type != JSON_NUMBER || !d->is_integer || !(d->integer == -1 || (d->integer >= 1 && d->integer <= ARNN_GRAPH_MAX_DIM))) {
          arnn_load_fail(e, ARNN_ERR_MALFORMED_MODEL, "graph: %s: target_shape entries must be -1 or in [1, %u]",
                         k->where, ARNN_GRAPH_MAX_DIM);
          return -1;
        }
        n->target[i] = (long)d->integer;
        unknown += d->integer == -1;
      }
      if (unknown > 1) {
        arnn_load_fail(e, ARNN_ERR_MALFORMED_MODEL, "graph: %s: target_shape has more than one -1", k->where);
        return -1;
      }
      return 0;
    }
    case OP_PERMUTE: {
      const json_value *d = key_get(k, "dims");
      if (!d) return -1;
      if (d->type != JSON_ARRAY || d->n != 2 || d->items[0].type != JSON_NUMBER || d->items[1].type != JSON_NUMBER ||
          d->items[0].number != 1 || d->items[1].number != 0) {
        arnn_load_fail(e, ARNN_ERR_MALFORMED_MODEL, "graph: %s: dims must be [1, 0] (the only non-identity permutation "
                       "of a per-sample rank-2 value)", k->where);
        return -1;
      }
      return 0;
    }
    case OP_REPEAT_VECTOR:
      return key_uint(k, "n", 1, ARNN_GRAPH_MAX_STEPS, &n->repeat_n);
    case OP_ATTENTION_POOL:
      if (key_enum(k, "form", w_form, 2, 0, &x) != 0) return -1;
      n->att_form = (arnn_attention_form)x;
      if (key_float(k, "epsilon", 0, 1, &n->epsilon) != 0 || key_bool(k, "bias", &n->att_bias) != 0) return -1;
      if (take_weight(ws, n, "weight", 0, &n->w[0][0], e) != 0) return -1;
      return n->att_bias ? take_weight(ws, n, "bias", 0, &n->w[0][1], e) : 0;
    case OP_DOT_ATTENTION:
      if (key_enum(k, "score_mode", w_score, 2, 0, &x) != 0) return -1;
      n->concat_score = x == 1;
      if (key_bool(k, "use_scale", &n->use_scale) != 0 || key_bool(k, "causal", &n->causal) != 0 ||
          key_bool(k, "return_scores", &n->return_scores) != 0)
        return -1;
      if (n->use_scale && take_weight(ws, n, "scale", 0, &n->w[0][0], e) != 0) return -1;
      return n->concat_score ? take_weight(ws, n, "concat_score_weight", 0, &n->w[0][1], e) : 0;
    case OP_ADDITIVE_ATTENTION:
      if (key_bool(k, "use_scale", &n->use_scale) != 0 || key_bool(k, "causal", &n->causal) != 0 ||
          key_bool(k, "return_scores", &n->return_scores) != 0)
        return -1;
      return n->use_scale ? take_weight(ws, n, "scale", 0, &n->w[0][0], e) : 0;
    case OP_MHA: {
      if (key_uint(k, "num_heads", 1, 1024, &n->num_heads) != 0 || key_uint(k, "key_dim", 1, 65536, &n->key_dim) != 0 ||
          key_uint(k, "value_dim", 1, 65536, &n->value_dim) != 0 ||
          key_uint(k, "output_dim", 1, ARNN_GRAPH_MAX_DIM, &n->output_dim) != 0 ||
          key_bool(k, "use_bias", &n->use_bias) != 0 || key_bool(k, "causal", &n->causal) != 0 ||
          key_bool(k, "return_scores", &n->return_scores) != 0 || key_enum(k, "empty_rows", w_empty, 2, 0, &x) != 0)
        return -1;
      n->empty_rows_zero = x == 1;
      static const char *const part[4] = {"query", "key", "value", "output"};
      for (int i = 0; i < 4; i++) {
        char p[32];
        snprintf(p, sizeof p, "%s/kernel", part[i]);
        if (take_weight(ws, n, p, 0, &n->w[0][i], e) != 0) return -1;
        snprintf(p, sizeof p, "%s/bias", part[i]);
        if (n->use_bias && take_weight(ws, n, p, 0, &n->w[1][i], e) != 0) return -1;
      }
      return 0;
    }
    case OP_CONTEXT_ATTENTION:
      if (key_enum(k, "form", w_form, 2, 0, &x) != 0) return -1;
      n->att_form = (arnn_attention_form)x;
      if (key_float(k, "epsilon", 0, 1, &n->epsilon) != 0 || key_bool(k, "use_bias", &n->use_bias) != 0) return -1;
      if (take_weight(ws, n, "kernel", 0, &n->w[0][0], e) != 0 || take_weight(ws, n, "context", 0, &n->w[0][2], e) != 0)
        return -1;
      return n->use_bias ? take_weight(ws, n, "bias", 0, &n->w[0][1], e) : 0;
    default:
      return 0;
  }
}

static int fan_in_ok(const graph_node *n, arnn_load_error *e) {
  int lo = 1, hi = 1;
  if (n->op == OP_MERGE) lo = 2, hi = ARNN_GRAPH_MAX_FANIN;
  if (n->op == OP_DOT) lo = hi = 2;
  if (n->op == OP_DOT_ATTENTION || n->op == OP_ADDITIVE_ATTENTION || n->op == OP_MHA) lo = 2, hi = 3;
  if (n->n_in < lo || n->n_in > hi) {
    arnn_load_fail(e, ARNN_ERR_MALFORMED_MODEL, "graph: layer '%s' (%s) has %d inputs, needs %d%s%d", n->name,
                   arnn_graph_op_names[n->op], n->n_in, lo, lo == hi ? "" : " to ", lo == hi ? lo : hi);
    return -1;
  }
  if (n->op == OP_MERGE && n->merge_mode == ARNN_MERGE_SUBTRACT && n->n_in != 2) {
    arnn_load_fail(e, ARNN_ERR_MALFORMED_MODEL, "graph: layer '%s': subtract takes exactly 2 inputs", n->name);
    return -1;
  }
  return 0;
}

static int parse_graph(const json_value *root, arnn_weight_set *ws, arnn_graph *g, arnn_load_error *e) {
  if (root->type != JSON_OBJECT) {
    arnn_load_fail(e, ARNN_ERR_MALFORMED_MODEL, "graph: the document is not an object");
    return -1;
  }
  keyset top = {root, {0}, "the graph", e};
  const json_value *inputs = key_get(&top, "inputs"), *layers = inputs ? key_get(&top, "layers") : NULL,
                   *outputs = layers ? key_get(&top, "outputs") : NULL;
  if (!outputs) return -1;
  if (key_uint(&top, "max_steps", 1, ARNN_GRAPH_MAX_STEPS, &g->max_steps) != 0 || keys_done(&top) != 0) return -1;
  if (inputs->type != JSON_ARRAY || inputs->n < 1 || inputs->n > ARNN_GRAPH_MAX_INPUTS) {
    arnn_load_fail(e, ARNN_ERR_MALFORMED_MODEL, "graph: inputs must be an array of 1 to %d entries",
                   ARNN_GRAPH_MAX_INPUTS);
    return -1;
  }
  if (layers->type != JSON_ARRAY || layers->n < 1 || layers->n > ARNN_GRAPH_MAX_LAYERS) {
    arnn_load_fail(e, ARNN_ERR_MALFORMED_MODEL, "graph: layers must be an array of 1 to %d entries",
                   ARNN_GRAPH_MAX_LAYERS);
    return -1;
  }
  if (outputs->type != JSON_ARRAY || outputs->n < 1 || outputs->n > ARNN_GRAPH_MAX_OUTPUTS) {
    arnn_load_fail(e, ARNN_ERR_MALFORMED_MODEL, "graph: outputs must be an array of 1 to %d references",
                   ARNN_GRAPH_MAX_OUTPUTS);
    return -1;
  }
  const int total = (int)(inputs->n + layers->n);
  g->nodes = calloc((size_t)total, sizeof *g->nodes);
  name_entry *names = calloc((size_t)total, sizeof *names);
  int rc = -1;
  if (!g->nodes || !names) {
    arnn_load_fail(e, ARNN_ERR_OUT_OF_MEMORY, "out of memory for the graph");
    goto done;
  }
  g->fixed_steps = 0;
  for (size_t i = 0; i < inputs->n + layers->n; i++) {
    const int is_input = i < inputs->n;
    const json_value *o = is_input ? &inputs->items[i] : &layers->items[i - inputs->n];
    graph_node *n = &g->nodes[i];
    char where[200];
    snprintf(where, sizeof where, "%s %zu", is_input ? "input" : "layer", is_input ? i : i - inputs->n);
    if (o->type != JSON_OBJECT) {
      arnn_load_fail(e, ARNN_ERR_MALFORMED_MODEL, "graph: %s is not an object", where);
      goto done;
    }
    keyset k = {o, {0}, where, e};
    const json_value *name = key_get(&k, "name");
    if (!name) goto done;
    if (name->type != JSON_STRING || !valid_name(name->string, name->n)) {
      arnn_load_fail(e, ARNN_ERR_MALFORMED_MODEL, "graph: %s: name must be 1 to %d characters of [A-Za-z0-9_.-]",
                     where, ARNN_GRAPH_MAX_NAME);
      goto done;
    }
    if (find_name(names, (int)i, name->string, name->n) >= 0) {
      arnn_load_fail(e, ARNN_ERR_MALFORMED_MODEL, "graph: the name '%s' is used twice", name->string);
      goto done;
    }
    memcpy(n->name, name->string, name->n + 1);
    snprintf(where, sizeof where, "%s '%s'", is_input ? "input" : "layer", n->name);
    names[i] = (name_entry){n->name, (int)i};
    n->n_out = 1;
    n->fold_source = -1;
    if (is_input) {
      static const char *const w_dtype[] = {"ids", "float32"};
      int x;
      n->op = OP_INPUT;
      if (key_enum(&k, "dtype", w_dtype, 2, 0, &x) != 0) goto done;
      n->dtype_ids = x == 0;
      const json_value *sh = key_get(&k, "shape");
      if (!sh) goto done;
      const size_t max_rank = n->dtype_ids ? 1 : 2;
      if (sh->type != JSON_ARRAY || sh->n < 1 || sh->n > max_rank) {
        arnn_load_fail(e, ARNN_ERR_MALFORMED_MODEL, "graph: %s: shape must be %s", where,
                       n->dtype_ids ? "[T] for ids" : "[T, E] or [F] for float32");
        goto done;
      }
      n->in_shape.rank = (int)sh->n;
      for (size_t d = 0; d < sh->n; d++) {
        const json_value *dv = &sh->items[d];
        const int steps_axis = d == 0 && (n->dtype_ids || sh->n == 2);
        if (dv->type == JSON_NULL && steps_axis) {
          n->in_shape.d[d] = 0;
          continue;
        }
        size_t v;
        if (value_uint(&k, "shape", dv, 1, steps_axis ? ARNN_GRAPH_MAX_STEPS : ARNN_GRAPH_MAX_DIM, &v) != 0) goto done;
        n->in_shape.d[d] = v;
        if (steps_axis) {
          if (g->fixed_steps && g->fixed_steps != v) {
            arnn_load_fail(e, ARNN_ERR_UNSUPPORTED, "graph: inputs with different fixed step counts (%zu, %zu)",
                           g->fixed_steps, v);
            goto done;
          }
          g->fixed_steps = v;
        }
      }
      if (keys_done(&k) != 0) goto done;
      g->inputs[g->n_inputs++] = (int)i;
      continue;
    }
    int op = -1;
    const json_value *opv = key_get(&k, "op");
    if (!opv) goto done;
    for (int t = 1; t < OP_COUNT && opv->type == JSON_STRING; t++)
      if (strcmp(opv->string, arnn_graph_op_names[t]) == 0) op = t;
    if (op < 0) {
      arnn_load_fail(e, ARNN_ERR_UNSUPPORTED, "graph: %s: unknown op \"%.64s\"", where,
                     opv->type == JSON_STRING ? opv->string : "(not a string)");
      goto done;
    }
    n->op = (graph_op)op;
    n->n_out = n->op == OP_ATTENTION_POOL || n->op == OP_CONTEXT_ATTENTION ? 2 : 1;
    const json_value *ins = key_get(&k, "inputs");
    if (!ins) goto done;
    if (ins->type != JSON_ARRAY || ins->n > ARNN_GRAPH_MAX_FANIN) {
      arnn_load_fail(e, ARNN_ERR_MALFORMED_MODEL, "graph: %s: inputs must be an array of at most %d references", where,
                     ARNN_GRAPH_MAX_FANIN);
      goto done;
    }
    n->n_in = (int)ins->n;
    for (size_t t = 0; t < ins->n; t++)
      if (parse_ref(&ins->items[t], g, names, (int)i, &n->in[t], where, e) != 0) goto done;
    if (parse_layer_params(&k, n, ws, e) != 0 || keys_done(&k) != 0 || fan_in_ok(n, e) != 0) goto done;
    if ((n->op == OP_DOT_ATTENTION || n->op == OP_ADDITIVE_ATTENTION || n->op == OP_MHA) && n->return_scores)
      n->n_out = 2;
  }
  g->n_nodes = total;
  if (g->fixed_steps && g->max_steps != g->fixed_steps) {
    arnn_load_fail(e, ARNN_ERR_MALFORMED_MODEL, "graph: max_steps %zu differs from the inputs' fixed T = %zu",
                   g->max_steps, g->fixed_steps);
    goto done;
  }
  for (size_t i = 0; i < outputs->n; i++) {
    vref r;
    if (parse_ref(&outputs->items[i], g, names, total, &r, "outputs", e) != 0) goto done;
    g->outputs[i] = r.node * 2 + r.out; /* a node/output pair; turned into a value id by the build */
    snprintf(g->output_names[i], sizeof g->output_names[i], "%s%s", g->nodes[r.node].name, r.out ? ":1" : "");
  }
  g->n_outputs = (int)outputs->n;
  rc = 0;
done:
  free(names);
  return rc;
}

arnn_status arnn_graph_from_json(const char *json, size_t len, arnn_weight_set *weights, arnn_graph **out,
                                 arnn_load_error *e) {
  *out = NULL;
  char msg[200];
  json_doc *doc;
  if (arnn_json_parse(json, len, &doc, msg, sizeof msg) != 0)
    return arnn_load_fail(e, ARNN_ERR_MALFORMED_MODEL, "graph JSON: %s", msg);
  arnn_graph *g = calloc(1, sizeof *g);
  if (!g) {
    arnn_json_free(doc);
    return arnn_load_fail(e, ARNN_ERR_OUT_OF_MEMORY, "out of memory for the graph");
  }
  if (parse_graph(arnn_json_root(doc), weights, g, e) != 0) {
    arnn_json_free(doc);
    arnn_graph_free(g);
    return e->status;
  }
  arnn_json_free(doc);
  for (size_t i = 0; i < weights->n; i++)
    if (!weights->t[i].used) {
      arnn_graph_free(g);
      return arnn_load_fail(e, ARNN_ERR_MALFORMED_MODEL, "tensor %s is not used by any layer of the graph",
                            weights->t[i].name);
    }
  if (arnn_graph_build(g, e) != ARNN_OK) {
    arnn_graph_free(g);
    return e->status;
  }
  *out = g;
  return ARNN_OK;
}
