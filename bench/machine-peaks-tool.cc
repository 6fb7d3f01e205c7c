// machine-peaks: prints the measured limits of the calling core
// (taskset -c 0 build/bench/machine-peaks). See machine-peaks.h.
#include <cstdio>

#include "machine-peaks.h"

int main() {
  arnn_machine_peaks_print(stdout, arnn_machine_peaks_get(), "");
  return 0;
}
