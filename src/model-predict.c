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

void arnn_predict_options_init(arnn_predict_options *options) {
  if (!options) return;
  memset(options, 0, sizeof *options);
  options->struct_size = sizeof *options;
}

/* The first version of arnn_predict_options ends after `attention`. */
#define OPTIONS_V1_SIZE (offsetof(arnn_predict_options, attention) + sizeof(float *))

static arnn_status check_options(const arnn_predict_options *options) {
  return options && options->struct_size < OPTIONS_V1_SIZE ? ARNN_ERR_INVALID_ARGUMENT : ARNN_OK;
}

size_t arnn_model_num_inputs(const arnn_model *m) { return m ? arnn_graph_num_inputs(m->graph) : 0; }
size_t arnn_model_num_outputs(const arnn_model *m) { return m ? arnn_graph_num_outputs(m->graph) : 0; }
size_t arnn_model_max_steps(const arnn_model *m) { return m ? arnn_graph_max_steps(m->graph) : 0; }

#define TENSOR_INFO_V1_SIZE sizeof(arnn_tensor_info)

/* rank and dims of the public descriptions from a per-sample shape */
static void put_shape(const arnn_shape *s, size_t *rank, size_t dims[2]) {
  *rank = (size_t)s->rank;
  dims[0] = s->d[0];
  dims[1] = s->rank == 2 ? s->d[1] : 0;
}

arnn_status arnn_model_input_info(const arnn_model *m, size_t index, arnn_tensor_info *info) {
  if (!m || !info || info->struct_size < TENSOR_INFO_V1_SIZE || index >= arnn_graph_num_inputs(m->graph))
    return ARNN_ERR_INVALID_ARGUMENT;
  int dtype;
  arnn_shape s;
  arnn_graph_input_desc(m->graph, index, &info->name, &dtype, &s);
  info->dtype = dtype == 0 ? ARNN_DTYPE_IDS : ARNN_DTYPE_F32;
  put_shape(&s, &info->rank, info->dims);
  return ARNN_OK;
}

arnn_status arnn_model_output_info(const arnn_model *m, size_t index, arnn_tensor_info *info) {
  if (!m || !info || info->struct_size < TENSOR_INFO_V1_SIZE || index >= arnn_graph_num_outputs(m->graph))
    return ARNN_ERR_INVALID_ARGUMENT;
  arnn_shape s;
  arnn_graph_output_desc(m->graph, index, &info->name, &s);
  info->dtype = ARNN_DTYPE_F32;
  put_shape(&s, &info->rank, info->dims);
  return ARNN_OK;
}

arnn_status arnn_model_output_shape(const arnn_model *m, size_t index, size_t steps, arnn_tensor_info *info) {
  arnn_status st = arnn_model_output_info(m, index, info);
  if (st != ARNN_OK) return st;
  if (!arnn_graph_has_steps(m->graph)) steps = 1;
  if (steps == 0) return ARNN_ERR_INVALID_ARGUMENT;
  if (steps > arnn_graph_max_steps(m->graph)) return ARNN_ERR_OUT_OF_RANGE;
  const size_t fixed = arnn_graph_fixed_steps(m->graph);
  if (fixed && steps != fixed) return ARNN_ERR_SHAPE_MISMATCH;
  arnn_shape s;
  if (arnn_graph_output_shape(m->graph, index, steps, &s, NULL, 0) != 0) return ARNN_ERR_SHAPE_MISMATCH;
  put_shape(&s, &info->rank, info->dims);
  return ARNN_OK;
}

arnn_status arnn_model_run(const arnn_model *m, size_t batch, size_t steps, const void *const *inputs,
                           const arnn_predict_options *options, float *const *outputs) {
  if (!m || !inputs || !outputs || batch == 0) return ARNN_ERR_INVALID_ARGUMENT;
  arnn_status st = check_options(options);
  if (st != ARNN_OK) return st;
  return arnn_graph_run(m->graph, options ? options->pool : NULL, batch, steps, inputs,
                        options ? options->lengths : NULL, m->info.padding == ARNN_PADDING_POST, outputs,
                        options ? options->attention : NULL);
}

/* The single-input form: output 0 to probs, the attention weights (if the
 * model has them) to options->attention. */
static arnn_status predict_one(const arnn_model *m, size_t batch, const void *input, arnn_dtype want,
                               const arnn_predict_options *options, float *probs) {
  if (!m || !input || !probs || batch == 0) return ARNN_ERR_INVALID_ARGUMENT;
  arnn_status st = check_options(options);
  if (st != ARNN_OK) return st;
  arnn_tensor_info in = {.struct_size = sizeof in};
  if (arnn_graph_num_inputs(m->graph) != 1 || arnn_model_input_info(m, 0, &in) != ARNN_OK || in.dtype != want)
    return ARNN_ERR_INVALID_ARGUMENT;
  const size_t steps = arnn_graph_fixed_steps(m->graph);
  if (steps == 0 && (in.rank == 2 || in.dtype == ARNN_DTYPE_IDS)) return ARNN_ERR_INVALID_ARGUMENT; /* use arnn_model_run */
  float *outs[ARNN_GRAPH_MAX_OUTPUTS] = {0};
  outs[0] = probs;
  const void *inputs[1] = {input};
  return arnn_graph_run(m->graph, options ? options->pool : NULL, batch, steps ? steps : 1, inputs,
                        options ? options->lengths : NULL, m->info.padding == ARNN_PADDING_POST, outs,
                        options ? options->attention : NULL);
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

/* The first version of arnn_layer_info ends after `has_mask`. */
#define LAYER_INFO_V1_SIZE (offsetof(arnn_layer_info, has_mask) + sizeof(int))

arnn_status arnn_model_layer_info(const arnn_model *m, size_t index, arnn_layer_info *info) {
  if (!m || !info || info->struct_size < LAYER_INFO_V1_SIZE || index >= arnn_graph_num_nodes(m->graph))
    return ARNN_ERR_INVALID_ARGUMENT;
  arnn_shape s;
  arnn_graph_node_desc(m->graph, index, &info->name, &info->op, &info->inputs, &info->kernel, &s, &info->has_mask);
  put_shape(&s, &info->rank, info->dims);
  if (info->struct_size >= offsetof(arnn_layer_info, weights) + sizeof info->weights)
    info->weights = arnn_graph_node_weights(m->graph, index);
  return ARNN_OK;
}
