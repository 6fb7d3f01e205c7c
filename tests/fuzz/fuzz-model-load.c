/* libFuzzer target: arnn_model_load_memory on arbitrary bytes must return a
 * status (never crash, leak, read out of bounds or hit undefined behaviour);
 * a model it accepts must answer every inspect call consistently.
 *
 *   CC=clang-14 cmake -S . -B build-fuzz -DARNN_BUILD_FUZZ=ON -DARNN_BUILD_BENCH=OFF
 *   cmake --build build-fuzz --target fuzz-model-load
 *   build-fuzz/fuzz-model-load -max_total_time=300 tests/fuzz/corpus   (or a copy of it)
 *
 * (add -dict=tests/fuzz/model-load.dict to start from the header's tokens;
 * scripts/fuzz.sh runs every fuzz target this way, as CI does).
 *
 * tests/fuzz/replay.c runs the same function over the corpus in the normal
 * build, so CI exercises it without libFuzzer. The corpus: valid-NNN-* and
 * bad-NNN-* are the cases of tests/model-load.c (`model-load --write-corpus
 * DIR` rewrites them), valid-converted-* are tools/arnn-convert outputs of the
 * tests/model fixtures, {valid,bad}-graph-* the cases of tests/graph-load.c
 * (`graph-load --corpus DIR`), fuzz-* are inputs libFuzzer found new coverage with
 * (kept after `-merge=1`). */
#include <stdint.h>
#include <string.h>

#include "arnn/arnn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char err[256];
  arnn_model *model = NULL;
  arnn_status s = arnn_model_load_memory(data, size, &model, err, sizeof err);
  if (memchr(err, '\0', sizeof err) == NULL) __builtin_trap(); /* message always terminated */
  if (s != ARNN_OK) {
    if (model != NULL || err[0] == '\0') __builtin_trap(); /* failure: no model, a message */
    return 0;
  }
  arnn_model_info info = {.struct_size = sizeof info};
  if (arnn_model_get_info(model, &info) != ARNN_OK) __builtin_trap();
  if (info.format_version == 1 && (info.T == 0 || info.E == 0 || info.H == 0)) __builtin_trap();
  if (info.C == 0) __builtin_trap();
  const size_t n_in = arnn_model_num_inputs(model), n_out = arnn_model_num_outputs(model);
  if (n_in == 0 || n_out == 0 || arnn_model_max_steps(model) == 0) __builtin_trap();
  for (size_t i = 0; i <= n_in; i++) {
    arnn_tensor_info t = {.struct_size = sizeof t};
    if ((arnn_model_input_info(model, i, &t) == ARNN_OK) != (i < n_in)) __builtin_trap();
    if (i < n_in && (t.name == NULL || t.rank < 1 || t.rank > 2)) __builtin_trap();
  }
  for (size_t i = 0; i <= n_out; i++) {
    arnn_tensor_info t = {.struct_size = sizeof t};
    if ((arnn_model_output_info(model, i, &t) == ARNN_OK) != (i < n_out)) __builtin_trap();
    if (i < n_out && (t.name == NULL || t.rank < 1 || t.rank > 2)) __builtin_trap();
  }
  for (size_t c = 0; c < info.C; c++)
    if (arnn_model_label(model, c) == NULL) __builtin_trap();
  if (arnn_model_label(model, info.C) != NULL) __builtin_trap();
  arnn_model_free(model);
  return 0;
}
