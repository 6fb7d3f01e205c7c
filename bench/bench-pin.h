// Pinning of single-threaded benchmark programs: the process is pinned to the
// first CPU it is allowed to run on, so `taskset -c N bench` runs on CPU N
// (and a benchmark never lands on a CPU the caller kept for something else).
#ifndef ARNN_BENCH_BENCH_PIN_H
#define ARNN_BENCH_BENCH_PIN_H

#include <sched.h>

#include <cerrno>
#include <cstring>
#include <string>

// Returns "cpu N" or why it could not pin.
inline std::string arnn_bench_pin_to_first_allowed_cpu() {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  if (sched_getaffinity(0, sizeof allowed, &allowed) != 0)
    return std::string("not pinned (") + std::strerror(errno) + ")";
  int cpu = -1;
  for (int i = 0; i < CPU_SETSIZE && cpu < 0; i++)
    if (CPU_ISSET(i, &allowed)) cpu = i;
  if (cpu < 0) return "not pinned (empty affinity mask)";
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(cpu, &one);
  if (sched_setaffinity(0, sizeof one, &one) != 0) return std::string("not pinned (") + std::strerror(errno) + ")";
  return "cpu " + std::to_string(cpu);
}

#endif
