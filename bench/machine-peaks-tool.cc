// machine-peaks: prints the measured limits of the calling core
// (taskset -c 0 build-bench/bench/machine-peaks). With arguments, prints the
// streaming read bandwidth of each buffer size instead (bytes, K/M/G suffixes
// allowed), e.g. machine-peaks 48K 2M 1G.
#include <cstdio>
#include <cstdlib>

#include "machine-peaks.h"

int main(int argc, char **argv) {
  if (argc < 2) {
    arnn_machine_peaks_print(stdout, arnn_machine_peaks_get(), "");
    return 0;
  }
  for (int i = 1; i < argc; i++) {
    char *end = nullptr;
    double v = std::strtod(argv[i], &end);
    if (end && (*end == 'K' || *end == 'k')) v *= 1024.0;
    if (end && (*end == 'M' || *end == 'm')) v *= 1024.0 * 1024.0;
    if (end && (*end == 'G' || *end == 'g')) v *= 1024.0 * 1024.0 * 1024.0;
    if (!(v >= 1.0)) {
      std::fprintf(stderr, "machine-peaks: bad size '%s'\n", argv[i]);
      return 1;
    }
    std::printf("read %12.0f B %8.1f GB/s\n", v, arnn_peaks_read_gbs((size_t)v, 5));
  }
  return 0;
}
