/* Prediction entry points over the model's graph (graph.c runs it).
 *
 * arnn_model_predict_ids / _dense are the single-input, first-output form:
 * probs = output 0, and options->attention receives the attention weights
 * when the model has an attention pooling output. arnn_model_run is the
 * general form. Padding (options->lengths): the slots outside a row's real
 * steps are replaced by what Keras' pad_sequences writes (id 0 / zero
 * vectors), before the real steps unless the model says padding = post. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"
#include "model-file.h"
#include "struct-size.h"

void arnn_predict_options_init(arnn_predict_options *options) {
  if (!options) return;
  memset(options, 0, sizeof *options);
  options->struct_size = sizeof *options;
}

/* The first versions of the structs end after these fields. */
#define OPTIONS_V1_SIZE ARNN_STRUCT_END(arnn_predict_options, attention)
#define TENSOR_INFO_V1_SIZE ARNN_STRUCT_END(arnn_tensor_info, dims)
#define LAYER_INFO_V1_SIZE ARNN_STRUCT_END(arnn_layer_info, has_mask)

/* The caller's options (NULL: the defaults) read into *out. */
static arnn_status read_options(const arnn_predict_options *options, arnn_predict_options *out) {
  arnn_predict_options_init(out);
  return options ? arnn_struct_read(out, sizeof *out, OPTIONS_V1_SIZE, options) : ARNN_OK;
}

size_t arnn_model_num_inputs(const arnn_model *m) { return m ? arnn_graph_num_inputs(m->graph) : 0; }
size_t arnn_model_num_outputs(const arnn_model *m) { return m ? arnn_graph_num_outputs(m->graph) : 0; }
size_t arnn_model_max_steps(const arnn_model *m) { return m ? arnn_graph_max_steps(m->graph) : 0; }

/* rank and dims of the public descriptions from a per-sample shape */
static void put_shape(const arnn_shape *s, size_t *rank, size_t dims[2]) {
  *rank = (size_t)s->rank;
  dims[0] = s->d[0];
  dims[1] = s->rank == 2 ? s->d[1] : 0;
}

arnn_status arnn_model_input_info(const arnn_model *m, size_t index, arnn_tensor_info *info) {
  if (!m || !info || index >= arnn_graph_num_inputs(m->graph)) return ARNN_ERR_INVALID_ARGUMENT;
  arnn_tensor_info t = {.struct_size = sizeof t};
  int dtype;
  arnn_shape s;
  arnn_graph_input_desc(m->graph, index, &t.name, &dtype, &s);
  t.dtype = dtype == 0 ? ARNN_DTYPE_IDS : ARNN_DTYPE_F32;
  put_shape(&s, &t.rank, t.dims);
  return arnn_struct_write(info, &t, sizeof t, TENSOR_INFO_V1_SIZE);
}

/* Output `index` as described in the file (dims 0 where they follow the steps). */
static void output_desc(const arnn_model *m, size_t index, arnn_tensor_info *t) {
  arnn_shape s;
  *t = (arnn_tensor_info){.struct_size = sizeof *t, .dtype = ARNN_DTYPE_F32};
  arnn_graph_output_desc(m->graph, index, &t->name, &s);
  put_shape(&s, &t->rank, t->dims);
}

arnn_status arnn_model_output_info(const arnn_model *m, size_t index, arnn_tensor_info *info) {
  if (!m || !info || index >= arnn_graph_num_outputs(m->graph)) return ARNN_ERR_INVALID_ARGUMENT;
  arnn_tensor_info t;
  output_desc(m, index, &t);
  return arnn_struct_write(info, &t, sizeof t, TENSOR_INFO_V1_SIZE);
}

arnn_status arnn_model_output_shape(const arnn_model *m, size_t index, size_t steps, arnn_tensor_info *info) {
  if (!m || !info || index >= arnn_graph_num_outputs(m->graph) || info->struct_size < TENSOR_INFO_V1_SIZE)
    return ARNN_ERR_INVALID_ARGUMENT;
  if (!arnn_graph_has_steps(m->graph)) steps = 1;
  if (steps == 0) return ARNN_ERR_INVALID_ARGUMENT;
  if (steps > arnn_graph_max_steps(m->graph)) return ARNN_ERR_OUT_OF_RANGE;
  const size_t fixed = arnn_graph_fixed_steps(m->graph);
  if (fixed && steps != fixed) return ARNN_ERR_SHAPE_MISMATCH;
  arnn_tensor_info t;
  output_desc(m, index, &t);
  arnn_shape s;
  if (arnn_graph_output_shape(m->graph, index, steps, &s, NULL, 0) != 0) return ARNN_ERR_SHAPE_MISMATCH;
  put_shape(&s, &t.rank, t.dims);
  return arnn_struct_write(info, &t, sizeof t, TENSOR_INFO_V1_SIZE);
}

arnn_status arnn_model_run(const arnn_model *m, size_t batch, size_t steps, const void *const *inputs,
                           const arnn_predict_options *options, float *const *outputs) {
  if (!m || !inputs || !outputs || batch == 0) return ARNN_ERR_INVALID_ARGUMENT;
  arnn_predict_options opt;
  const arnn_status st = read_options(options, &opt);
  if (st != ARNN_OK) return st;
  return arnn_graph_run(m->graph, opt.pool, batch, steps, inputs, opt.lengths, m->info.padding == ARNN_PADDING_POST,
                        outputs, opt.attention);
}

/* The single-input form: output 0 to probs, the attention weights (if the
 * model has them) to options->attention. */
static arnn_status predict_one(const arnn_model *m, size_t batch, const void *input, arnn_dtype want,
                               const arnn_predict_options *options, float *probs) {
  if (!m || !input || !probs || batch == 0) return ARNN_ERR_INVALID_ARGUMENT;
  arnn_predict_options opt;
  const arnn_status st = read_options(options, &opt);
  if (st != ARNN_OK) return st;
  arnn_tensor_info in = {.struct_size = sizeof in};
  if (arnn_graph_num_inputs(m->graph) != 1 || arnn_model_input_info(m, 0, &in) != ARNN_OK || in.dtype != want)
    return ARNN_ERR_INVALID_ARGUMENT;
  const size_t steps = arnn_graph_fixed_steps(m->graph);
  if (steps == 0 && (in.rank == 2 || in.dtype == ARNN_DTYPE_IDS)) return ARNN_ERR_INVALID_ARGUMENT; /* use arnn_model_run */
  float *outs[ARNN_GRAPH_MAX_OUTPUTS] = {0};
  outs[0] = probs;
  const void *inputs[1] = {input};
  return arnn_graph_run(m->graph, opt.pool, batch, steps ? steps : 1, inputs, opt.lengths,
                        m->info.padding == ARNN_PADDING_POST, outs, opt.attention);
}

arnn_status arnn_model_predict_ids(const arnn_model *m, size_t batch, const int *ids,
                                   const arnn_predict_options *options, float *probs) {
  return predict_one(m, batch, ids, ARNN_DTYPE_IDS, options, probs);
}

arnn_status arnn_model_predict_dense(const arnn_model *m, size_t batch, const float *x,
                                     const arnn_predict_options *options, float *probs) {
  return predict_one(m, batch, x, ARNN_DTYPE_F32, options, probs);
}

size_t arnn_model_num_layers(const arnn_model *m) { return m ? arnn_graph_num_nodes(m->graph) : 0; }

arnn_status arnn_model_layer_info(const arnn_model *m, size_t index, arnn_layer_info *info) {
  if (!m || !info || index >= arnn_graph_num_nodes(m->graph)) return ARNN_ERR_INVALID_ARGUMENT;
  arnn_layer_info l = {.struct_size = sizeof l};
  arnn_shape s;
  arnn_graph_node_desc(m->graph, index, &l.name, &l.op, &l.inputs, &l.kernel, &s, &l.has_mask);
  put_shape(&s, &l.rank, l.dims);
  l.weights = arnn_graph_node_weights(m->graph, index);
  return arnn_struct_write(info, &l, sizeof l, LAYER_INFO_V1_SIZE);
}
