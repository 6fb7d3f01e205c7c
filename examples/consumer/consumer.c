/* Loads an arnn model file and classifies the token-id sequences given on the
 * command line, with the installed library (see CMakeLists.txt):
 *   arnn-consumer MODEL [ID ...]
 * With no ids it prints the model description only. */
#include <arnn/arnn.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s MODEL [ID ...]\n", argv[0]);
    return 2;
  }
  char err[256];
  arnn_model *model = NULL;
  arnn_status st = arnn_model_load(argv[1], &model, err, sizeof err);
  if (st != ARNN_OK) {
    fprintf(stderr, "%s: %s (%s)\n", argv[1], err, arnn_status_str(st));
    return 1;
  }
  arnn_model_info info = {.struct_size = sizeof info};
  arnn_model_get_info(model, &info);
  printf("arnn %s, ISA %s: %s model, T=%zu E=%zu H=%zu C=%zu\n", arnn_version(), arnn_isa(),
         info.cell == ARNN_RNN_LSTM ? "LSTM" : "GRU", info.T, info.E, info.H, info.C);
  if (argc > 2 && info.input == ARNN_INPUT_IDS) {
    /* one sequence from the command line; the library pads it as the model
     * was trained (lengths) */
    const size_t n = (size_t)(argc - 2) < info.T ? (size_t)(argc - 2) : info.T;
    int *ids = calloc(info.T, sizeof *ids);
    float *probs = calloc(info.C, sizeof *probs);
    if (!ids || !probs) return 1;
    const size_t first = info.padding == ARNN_PADDING_POST ? 0 : info.T - n;
    for (size_t i = 0; i < n; i++) ids[first + i] = atoi(argv[2 + i]);
    arnn_predict_options opt;
    arnn_predict_options_init(&opt);
    opt.lengths = &n;
    st = arnn_model_predict_ids(model, 1, ids, &opt, probs);
    if (st != ARNN_OK) {
      fprintf(stderr, "predict: %s\n", arnn_status_str(st));
      return 1;
    }
    for (size_t c = 0; c < info.C; c++) printf("%s %.6f\n", arnn_model_label(model, c), probs[c]);
    free(ids);
    free(probs);
  }
  arnn_model_free(model);
  return 0;
}
