/* Whole-model prediction through the public API, on the shipped example model
 * (examples/imdb-mini.safetensors: ids, front padding, mask_zero, LSTM, C = 1):
 *  - the probabilities match examples/imdb-mini.expected (float64 Keras
 *    reference on the original weights) within 1e-5;
 *  - lengths: garbage in the padding slots changes nothing (it is replaced by
 *    id 0 as pad_sequences writes it), and equals predicting the zero-padded rows;
 *  - batch composition and pools of 1..3 threads give the same bits;
 *  - 8 threads predicting on one model at once give the same bits as serial calls;
 *  - the attention weights of a row sum to S / (S + 1e-7) and are 0 at padding;
 *  - bad arguments return their status and write nothing.
 * usage: model-predict EXAMPLES_DIR */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arnn/arnn.h"

static int failures;
#include "check.h"

#define N_SEQ 6
#define T_MAX 64

static arnn_model *model;
static arnn_model_info info;
static int ids[N_SEQ][T_MAX];
static float serial[N_SEQ];

static int read_example(const char *dir, double expected[N_SEQ]) {
  char path[1024];
  snprintf(path, sizeof path, "%s/imdb-mini.ids", dir);
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  for (int s = 0; s < N_SEQ; s++)
    for (size_t t = 0; t < info.T; t++)
      if (fscanf(f, "%d", &ids[s][t]) != 1) {
        fclose(f);
        return 0;
      }
  fclose(f);
  snprintf(path, sizeof path, "%s/imdb-mini.expected", dir);
  f = fopen(path, "r");
  if (!f) return 0;
  for (int s = 0; s < N_SEQ; s++)
    if (fscanf(f, "%lf", &expected[s]) != 1) {
      fclose(f);
      return 0;
    }
  fclose(f);
  return 1;
}

typedef struct {
  int index;
  int mismatches;
} worker;

static void *predict_repeatedly(void *arg) {
  worker *w = arg;
  for (int rep = 0; rep < 20; rep++) {
    const int s = (w->index + rep) % N_SEQ;
    float p;
    if (arnn_model_predict_ids(model, 1, ids[s], NULL, &p) != ARNN_OK || memcmp(&p, &serial[s], sizeof p) != 0)
      w->mismatches++;
  }
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s EXAMPLES_DIR\n", argv[0]);
    return 2;
  }
  char path[1024], err[256];
  snprintf(path, sizeof path, "%s/imdb-mini.safetensors", argv[1]);
  CHECK(arnn_model_load(path, &model, err, sizeof err) == ARNN_OK, "load %s: %s", path, err);
  if (!model) return 1;
  info.struct_size = sizeof info;
  arnn_model_get_info(model, &info);
  CHECK(info.T <= T_MAX && info.C == 1 && info.mask_zero && info.padding == ARNN_PADDING_PRE, "example model shape");
  double expected[N_SEQ];
  CHECK(read_example(argv[1], expected), "read the example inputs");
  const size_t T = info.T;

  /* the batch as the API takes it: rows of T ids, back to back */
  int flat[N_SEQ * T_MAX];
  for (int s = 0; s < N_SEQ; s++) memcpy(flat + s * T, ids[s], T * sizeof(int));

  /* whole batch vs the Keras reference */
  float probs[N_SEQ], att[N_SEQ * T_MAX];
  arnn_predict_options opt;
  arnn_predict_options_init(&opt);
  opt.attention = att;
  CHECK(arnn_model_predict_ids(model, N_SEQ, flat, &opt, probs) == ARNN_OK, "predict batch");
  for (int s = 0; s < N_SEQ; s++) {
    CHECK(fabs(probs[s] - expected[s]) <= 1e-5, "sequence %d: %.9g, reference %.9g", s, probs[s], expected[s]);
    double sum = 0;
    int real = 0;
    for (size_t t = 0; t < T; t++) {
      sum += att[s * T + t];
      if (ids[s][t] == 0) CHECK(att[s * T + t] == 0.0f, "sequence %d: attention at padding step %zu", s, t);
      real += ids[s][t] != 0;
    }
    if (real) CHECK(fabs(sum - 1.0) <= 1e-5, "sequence %d: attention sums to %.9g", s, sum);
    else CHECK(sum == 0.0, "sequence %d (all padding): attention sums to %g", s, sum);
  }

  /* one at a time: same bits as the batch */
  for (int s = 0; s < N_SEQ; s++) {
    CHECK(arnn_model_predict_ids(model, 1, ids[s], NULL, &serial[s]) == ARNN_OK, "predict %d", s);
    CHECK(memcmp(&serial[s], &probs[s], sizeof(float)) == 0, "sequence %d: batch and single differ", s);
  }

  /* lengths: garbage in the padding slots is replaced by id 0 */
  int garbage[N_SEQ * T_MAX];
  size_t lengths[N_SEQ];
  for (int s = 0; s < N_SEQ; s++) {
    size_t first = 0;
    while (first < T && ids[s][first] == 0) first++;
    lengths[s] = T - first;
    for (size_t t = 0; t < T; t++) garbage[s * T + t] = t < first ? (int)(info.V - 1 - t % 7) : ids[s][t];
  }
  arnn_predict_options_init(&opt);
  opt.lengths = lengths;
  float with_lengths[N_SEQ];
  CHECK(arnn_model_predict_ids(model, N_SEQ, garbage, &opt, with_lengths) == ARNN_OK, "predict lengths");
  CHECK(memcmp(with_lengths, probs, sizeof probs) == 0, "lengths with garbage padding differ from zero padding");

  /* pools of 1..3 threads, pinned and not */
  for (size_t n = 1; n <= 3; n++)
    for (unsigned flags = 0; flags <= ARNN_THREADPOOL_NO_PIN; flags += ARNN_THREADPOOL_NO_PIN) {
      arnn_threadpool *pool = NULL;
      CHECK(arnn_threadpool_create_ex(n, flags, &pool) == ARNN_OK, "pool of %zu", n);
      arnn_predict_options_init(&opt);
      opt.pool = pool;
      float p[N_SEQ];
      CHECK(arnn_model_predict_ids(model, N_SEQ, flat, &opt, p) == ARNN_OK, "predict on %zu threads", n);
      CHECK(memcmp(p, probs, sizeof p) == 0, "%zu threads (flags %u): different bits", n, flags);
      arnn_threadpool_destroy(pool);
    }

  /* 8 threads on one model at once */
  pthread_t th[8];
  worker w[8];
  for (int i = 0; i < 8; i++) {
    w[i] = (worker){i, 0};
    CHECK(pthread_create(&th[i], NULL, predict_repeatedly, &w[i]) == 0, "start thread %d", i);
  }
  for (int i = 0; i < 8; i++) {
    pthread_join(th[i], NULL);
    CHECK(w[i].mismatches == 0, "thread %d: %d predictions differ from serial calls", i, w[i].mismatches);
  }

  /* bad arguments: status, nothing written */
  float sentinel = -7.0f;
  CHECK(arnn_model_predict_ids(NULL, 1, ids[0], NULL, &sentinel) == ARNN_ERR_INVALID_ARGUMENT, "NULL model");
  CHECK(arnn_model_predict_ids(model, 1, NULL, NULL, &sentinel) == ARNN_ERR_INVALID_ARGUMENT, "NULL ids");
  CHECK(arnn_model_predict_ids(model, 1, ids[0], NULL, NULL) == ARNN_ERR_INVALID_ARGUMENT, "NULL probs");
  CHECK(arnn_model_predict_ids(model, 0, ids[0], NULL, &sentinel) == ARNN_ERR_INVALID_ARGUMENT, "batch 0");
  float x[T_MAX * 64] = {0};
  CHECK(arnn_model_predict_dense(model, 1, x, NULL, &sentinel) == ARNN_ERR_INVALID_ARGUMENT, "dense on ids model");
  int bad[T_MAX];
  memcpy(bad, ids[1], sizeof bad);
  bad[T - 1] = (int)info.V;
  CHECK(arnn_model_predict_ids(model, 1, bad, NULL, &sentinel) == ARNN_ERR_OUT_OF_RANGE, "id == V");
  bad[T - 1] = -1;
  CHECK(arnn_model_predict_ids(model, 1, bad, NULL, &sentinel) == ARNN_ERR_OUT_OF_RANGE, "id -1");
  size_t too_long = T + 1;
  arnn_predict_options_init(&opt);
  opt.lengths = &too_long;
  CHECK(arnn_model_predict_ids(model, 1, ids[1], &opt, &sentinel) == ARNN_ERR_OUT_OF_RANGE, "length > T");
  opt.struct_size = 4;
  opt.lengths = NULL;
  CHECK(arnn_model_predict_ids(model, 1, ids[1], &opt, &sentinel) == ARNN_ERR_INVALID_ARGUMENT, "struct_size");
  struct {
    arnn_predict_options known;
    void *newer_field;
  } newer;
  memset(&newer, 0, sizeof newer);
  arnn_predict_options_init(&newer.known);
  newer.known.struct_size = sizeof newer;
  newer.newer_field = &newer;
  CHECK(arnn_model_predict_ids(model, 1, ids[1], &newer.known, &sentinel) == ARNN_ERR_UNSUPPORTED,
        "options from a newer header with a field set");
  CHECK(sentinel == -7.0f, "an error wrote the output");
  newer.newer_field = NULL;
  CHECK(arnn_model_predict_ids(model, 1, ids[1], &newer.known, &sentinel) == ARNN_OK,
        "options from a newer header, new field zero");
  CHECK(arnn_threadpool_create_ex(2, 0x80, NULL) == ARNN_ERR_INVALID_ARGUMENT, "pool NULL out");
  arnn_threadpool *pool = NULL;
  CHECK(arnn_threadpool_create_ex(2, 0x80, &pool) == ARNN_ERR_INVALID_ARGUMENT && pool == NULL, "unknown flag");
  /* the CLI refuses a larger --threads up front with this same limit */
  CHECK(arnn_threadpool_create_ex(ARNN_THREADPOOL_MAX_THREADS + 1, 0, &pool) == ARNN_ERR_INVALID_ARGUMENT &&
            pool == NULL,
        "more than ARNN_THREADPOOL_MAX_THREADS");

  arnn_model_free(model);
  if (failures) printf("%d failures\n", failures);
  else printf("PASS\n");
  return failures != 0;
}
