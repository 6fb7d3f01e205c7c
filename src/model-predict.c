/* Whole-model prediction: ids or dense vectors -> bidirectional RNN ->
 * attention pooling -> dense head, on the layer objects a model builds once
 * at load (weights packed there, embedding folded when it fits).
 *
 * Keras semantics (NOTES.md section 1) and where each is implemented:
 *  - Embedding(mask_zero): id 0 masks a step, in the recurrence (state kept,
 *    the backward direction reverses the mask) and in the attention (a_t = 0).
 *  - A masked step's RNN output is irrelevant to the prediction: the
 *    attention gives it weight 0 (the layer writes zeros there).
 *  - lengths[b] real steps: the other slots of row b are padding, placed
 *    before the tokens (Keras pad_sequences' default, and what an "unknown"
 *    padding convention means) or after them (padding = post), and hold id 0
 *    / zero vectors exactly as pad_sequences writes them, whatever the caller
 *    left there. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model-file.h"

/* Fold budget for the embedding x kernel precomputation of token models. */
#define ARNN_MODEL_FOLD_BUDGET ((size_t)256 << 20)

arnn_status arnn_model_build_runtime(arnn_model *m) {
  const arnn_model_info *in = &m->info;
  arnn_rnn_layer_desc d;
  arnn_rnn_layer_desc_init(&d);
  d.cell = in->cell;
  d.input_size = in->E;
  d.units = in->H;
  d.bidirectional = 1;
  d.recurrent_activation = in->recurrent_activation;
  d.reset_after = in->cell == ARNN_RNN_GRU ? in->gru_reset_after : 1;
  d.layout = ARNN_RNN_WEIGHTS_KERAS; /* the converter already converted CuDNN layouts */
  d.masked_output = ARNN_RNN_MASKED_ZERO;
  for (int dir = 0; dir < 2; dir++) {
    d.kernel[dir] = m->rnn[dir].kernel;
    d.recurrent_kernel[dir] = m->rnn[dir].recurrent_kernel;
    d.bias[dir] = m->rnn[dir].bias;
  }
  if (in->input == ARNN_INPUT_IDS) {
    d.embedding = m->embedding;
    d.vocab_size = in->V;
    d.fold_budget = ARNN_MODEL_FOLD_BUDGET;
    d.mask_zero = in->mask_zero;
  }
  arnn_status st = arnn_rnn_layer_create(&d, &m->rnn_layer);
  if (st != ARNN_OK) return st;
  return arnn_dense_head_create(2 * in->H, in->C, m->dense_kernel, m->dense_bias, in->head, &m->head);
}

void arnn_model_free_runtime(arnn_model *m) {
  arnn_rnn_layer_destroy(m->rnn_layer);
  arnn_dense_head_free(m->head);
  m->rnn_layer = NULL;
  m->head = NULL;
}

void arnn_predict_options_init(arnn_predict_options *options) {
  if (!options) return;
  memset(options, 0, sizeof *options);
  options->struct_size = sizeof *options;
}

/* The first version of arnn_predict_options ends after `attention`. */
#define OPTIONS_V1_SIZE (offsetof(arnn_predict_options, attention) + sizeof(float *))

static int mul_overflows(size_t a, size_t b, size_t *out) {
  if (b != 0 && a > SIZE_MAX / b) return 1;
  *out = a * b;
  return 0;
}

/* Slot range [first, first + len) of the real steps of a row of T slots. */
static size_t first_real_step(const arnn_model_info *in, size_t len) {
  return in->padding == ARNN_PADDING_POST ? 0 : in->T - len;
}

typedef struct {
  float *rnn_out;   /* [B, T, 2H] */
  float *context;   /* [B, 2H] */
  unsigned char *mask; /* [B, T] or NULL */
  void *block;
} predict_scratch;

static arnn_status alloc_scratch(const arnn_model_info *in, size_t batch, int need_mask, size_t extra_bytes,
                                 predict_scratch *s, void **extra) {
  size_t bt, rnn_elems, ctx_elems;
  if (mul_overflows(batch, in->T, &bt) || mul_overflows(bt, 2 * in->H, &rnn_elems) ||
      mul_overflows(batch, 2 * in->H, &ctx_elems))
    return ARNN_ERR_OUT_OF_RANGE;
  const size_t align = 64;
  size_t off_ctx, off_mask, off_extra, total;
  if (rnn_elems > (SIZE_MAX - 4 * align) / sizeof(float) / 2 || ctx_elems > SIZE_MAX / 8) return ARNN_ERR_OUT_OF_RANGE;
  off_ctx = (rnn_elems * sizeof(float) + align - 1) / align * align;
  off_mask = off_ctx + (ctx_elems * sizeof(float) + align - 1) / align * align;
  off_extra = off_mask + (need_mask ? (bt + align - 1) / align * align : 0);
  if (extra_bytes > SIZE_MAX - off_extra - align) return ARNN_ERR_OUT_OF_RANGE;
  total = off_extra + extra_bytes;
  unsigned char *block = aligned_alloc(align, (total + align - 1) / align * align);
  if (!block) return ARNN_ERR_OUT_OF_MEMORY;
  s->block = block;
  s->rnn_out = (float *)block;
  s->context = (float *)(block + off_ctx);
  s->mask = need_mask ? block + off_mask : NULL;
  if (extra) *extra = extra_bytes ? block + off_extra : NULL;
  return ARNN_OK;
}

static arnn_status check_common(const arnn_model *model, size_t batch, const void *input, const float *probs,
                                const arnn_predict_options *options, arnn_input_kind kind) {
  if (!model || !input || !probs || batch == 0) return ARNN_ERR_INVALID_ARGUMENT;
  if (model->info.input != kind) return ARNN_ERR_INVALID_ARGUMENT;
  if (options) {
    if (options->struct_size < OPTIONS_V1_SIZE) return ARNN_ERR_INVALID_ARGUMENT;
    if (options->lengths)
      for (size_t b = 0; b < batch; b++)
        if (options->lengths[b] > model->info.T) return ARNN_ERR_OUT_OF_RANGE;
  }
  return ARNN_OK;
}

/* Attention pooling and the dense head on the RNN output in scratch. */
static arnn_status finish(const arnn_model *model, size_t batch, predict_scratch *s,
                          const arnn_predict_options *options, float *probs) {
  const arnn_model_info *in = &model->info;
  const arnn_attention_options att = {in->attention, ARNN_ATTENTION_DEFAULT_EPSILON};
  arnn_status st = arnn_attention_pool_f32(batch, in->T, 2 * in->H, s->rnn_out, model->attention_weight,
                                           model->attention_bias, s->mask, &att, s->context,
                                           options ? options->attention : NULL);
  if (st != ARNN_OK) return st;
  return arnn_dense_head_apply(model->head, batch, s->context, probs);
}

arnn_status arnn_model_predict_ids(const arnn_model *model, size_t batch, const int *ids,
                                   const arnn_predict_options *options, float *probs) {
  arnn_status st = check_common(model, batch, ids, probs, options, ARNN_INPUT_IDS);
  if (st != ARNN_OK) return st;
  const arnn_model_info *in = &model->info;
  const size_t T = in->T;
  const size_t *lengths = options ? options->lengths : NULL;
  /* every real id is checked before anything runs */
  for (size_t b = 0; b < batch; b++) {
    const size_t len = lengths ? lengths[b] : T, first = lengths ? first_real_step(in, len) : 0;
    for (size_t t = first; t < first + len; t++)
      if (ids[b * T + t] < 0 || (size_t)ids[b * T + t] >= in->V) return ARNN_ERR_OUT_OF_RANGE;
  }
  predict_scratch s;
  void *extra = NULL;
  st = alloc_scratch(in, batch, in->mask_zero, lengths ? batch * T * sizeof(int) : 0, &s, &extra);
  if (st != ARNN_OK) return st;
  const int *row_ids = ids;
  if (lengths) {
    /* pad_sequences: the slots outside the real steps hold id 0 */
    int *padded = extra;
    for (size_t b = 0; b < batch; b++) {
      const size_t len = lengths[b], first = first_real_step(in, len);
      for (size_t t = 0; t < T; t++) padded[b * T + t] = (t >= first && t < first + len) ? ids[b * T + t] : 0;
    }
    row_ids = padded;
  }
  if (s.mask)
    for (size_t i = 0; i < batch * T; i++) s.mask[i] = row_ids[i] != 0;
  st = arnn_rnn_layer_forward_ids(model->rnn_layer, options ? options->pool : NULL, batch, T, row_ids, s.mask,
                                  s.rnn_out);
  if (st == ARNN_OK) st = finish(model, batch, &s, options, probs);
  free(s.block);
  return st;
}

arnn_status arnn_model_predict_dense(const arnn_model *model, size_t batch, const float *x,
                                     const arnn_predict_options *options, float *probs) {
  arnn_status st = check_common(model, batch, x, probs, options, ARNN_INPUT_DENSE);
  if (st != ARNN_OK) return st;
  const arnn_model_info *in = &model->info;
  const size_t T = in->T, E = in->E;
  const size_t *lengths = options ? options->lengths : NULL;
  size_t bte;
  if (mul_overflows(batch, T, &bte) || mul_overflows(bte, E, &bte) || bte > SIZE_MAX / sizeof(float))
    return ARNN_ERR_OUT_OF_RANGE;
  predict_scratch s;
  void *extra = NULL;
  st = alloc_scratch(in, batch, 0, lengths ? bte * sizeof(float) : 0, &s, &extra);
  if (st != ARNN_OK) return st;
  const float *rows = x;
  if (lengths) {
    /* pad_sequences(dtype=float32): padding slots are zero vectors */
    float *padded = extra;
    for (size_t b = 0; b < batch; b++) {
      const size_t len = lengths[b], first = first_real_step(in, len);
      for (size_t t = 0; t < T; t++) {
        float *dst = padded + (b * T + t) * E;
        if (t >= first && t < first + len) memcpy(dst, x + (b * T + t) * E, E * sizeof(float));
        else memset(dst, 0, E * sizeof(float));
      }
    }
    rows = padded;
  }
  st = arnn_rnn_layer_forward(model->rnn_layer, options ? options->pool : NULL, batch, T, rows, NULL, s.rnn_out);
  if (st == ARNN_OK) st = finish(model, batch, &s, options, probs);
  free(s.block);
  return st;
}
