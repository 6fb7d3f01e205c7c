/* machine-peaks: the limits of this machine, measured in-process on the
 * calling thread, so a benchmark can quote its rates as a fraction of what the
 * same run measured.
 *
 *  - FMA peak: independent chains of packed single-precision FMAs (enough
 *    accumulators to cover latency x ports), AVX2 and, when the CPU and OS
 *    support it, AVX-512. 1 FMA = 2 FLOP per lane.
 *  - Streaming read bandwidth: a vector sum over a buffer of a given size that
 *    is read again and again (L1 16 KiB, L2 512 KiB, L3 8 MiB, DRAM 256 MiB by
 *    default), widest vectors the CPU has.
 * Every figure is the median of several repetitions. Pin the calling thread
 * (taskset -c 0) before measuring: the numbers are per core.
 *
 * Independent of Google Benchmark; plain C interface (usable from C and C++).
 * Not part of the arnn library. */
#ifndef ARNN_BENCH_MACHINE_PEAKS_H
#define ARNN_BENCH_MACHINE_PEAKS_H

#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Default buffer sizes of the bandwidth levels. */
#define ARNN_PEAKS_L1_BYTES ((size_t)16 << 10)
#define ARNN_PEAKS_L2_BYTES ((size_t)512 << 10)
#define ARNN_PEAKS_L3_BYTES ((size_t)8 << 20)
#define ARNN_PEAKS_DRAM_BYTES ((size_t)256 << 20)

typedef struct arnn_machine_peaks {
  double fma_gflops;        /* best of the two below: the FMA peak to quote   */
  double fma_avx2_gflops;   /* 256-bit FMA chains (0 when the CPU lacks FMA)   */
  double fma_avx512_gflops; /* 512-bit FMA chains (0 when the CPU lacks it)    */
  double bw_l1_gbs;         /* streaming read, GB/s (1e9 bytes per second)    */
  double bw_l2_gbs;
  double bw_l3_gbs;
  double bw_dram_gbs;
  int read_vector_bits;     /* width of the loads the bandwidth loop used      */
  int repetitions;          /* each figure is the median of this many runs    */
} arnn_machine_peaks;

/* Measures everything once (about one second), caches the result and returns
 * it; later calls (from any thread) return the cached struct. Never NULL.
 * The environment variable ARNN_PEAKS_REPS (1..99, default 5) sets the number
 * of repetitions of the first measurement. */
const arnn_machine_peaks *arnn_machine_peaks_get(void);

/* Fresh measurements, not cached. repetitions < 1 means 5. */
double arnn_peaks_fma_gflops_avx2(int repetitions);
double arnn_peaks_fma_gflops_avx512(int repetitions);
/* The widest FMA loop this CPU has, best (not median) of `repetitions`
 * blocks of ~15 ms: the yardstick a benchmark measures right next to a timed
 * loop, on a machine whose clock and load move from minute to minute (the
 * best block is the least disturbed one). repetitions < 1 means 5. */
double arnn_peaks_fma_gflops_best(int repetitions);
/* Streaming read bandwidth over a buffer of `bytes` (rounded up to 1 KiB),
 * GB/s; 0 when the buffer cannot be allocated. */
double arnn_peaks_read_gbs(size_t bytes, int repetitions);
/* The same, best (not median) of the blocks: the yardstick a benchmark
 * divides by when a lower figure would flatter its fraction. */
double arnn_peaks_read_gbs_best(size_t bytes, int repetitions);

/* One line per figure, prefixed with `prefix` (may be NULL). */
void arnn_machine_peaks_print(FILE *out, const arnn_machine_peaks *p, const char *prefix);

/* Seconds to move `bytes` at `gbs` GB/s (the time a bandwidth-bound loop
 * cannot beat); 0 when gbs <= 0. */
double arnn_peaks_bound_seconds(double bytes, double gbs);

#ifdef __cplusplus
}
#endif

#endif /* ARNN_BENCH_MACHINE_PEAKS_H */
