// Command-line defaults shared by the Google Benchmark programs: repetitions,
// aggregate reporting and minimum time, each replaced by the user's own flag.
#ifndef ARNN_BENCH_BENCH_ARGS_H
#define ARNN_BENCH_BENCH_ARGS_H

#include <benchmark/benchmark.h>

#include <cstring>
#include <string>
#include <vector>

// True when args holds `flag` or `flag=...`.
inline bool arnn_bench_has_flag(const std::vector<std::string> &args, const char *flag) {
  const size_t len = std::strlen(flag);
  for (const std::string &a : args)
    if (a.compare(0, len, flag) == 0 && (a.size() == len || a[len] == '=')) return true;
  return false;
}

// Initializes Google Benchmark with --benchmark_repetitions=<repetitions>,
// <aggregates_flag>=true (report_ or display_aggregates_only) and
// --benchmark_min_time=<min_time> unless the user gave them. *args receives
// the final argument list. Returns false on an unrecognized argument.
inline bool arnn_bench_initialize(int argc, char **argv, int repetitions, const char *aggregates_flag,
                                  const char *min_time, std::vector<std::string> *args) {
  const std::vector<std::string> user(argv + 1, argv + argc);
  *args = {argv[0]};
  if (!arnn_bench_has_flag(user, "--benchmark_repetitions"))
    args->push_back("--benchmark_repetitions=" + std::to_string(repetitions));
  if (!arnn_bench_has_flag(user, "--benchmark_report_aggregates_only") &&
      !arnn_bench_has_flag(user, "--benchmark_display_aggregates_only"))
    args->push_back(std::string(aggregates_flag) + "=true");
  if (!arnn_bench_has_flag(user, "--benchmark_min_time")) args->push_back(std::string("--benchmark_min_time=") + min_time);
  args->insert(args->end(), user.begin(), user.end());
  std::vector<char *> cargv;
  for (std::string &a : *args) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  int cargc = static_cast<int>(args->size());
  benchmark::Initialize(&cargc, cargv.data());
  return !benchmark::ReportUnrecognizedArguments(cargc, cargv.data());
}

#endif
