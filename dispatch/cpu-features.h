/* Runtime CPU feature detection (internal). */
#ifndef ARNN_DISPATCH_CPU_FEATURES_H
#define ARNN_DISPATCH_CPU_FEATURES_H

/* Kernel ISA levels. Each architecture's levels are totally ordered by value;
 * a level is usable when the CPU and the OS support it and it is not above
 * the ARNN_ISA cap. */
typedef enum {
  ARNN_ISA_SCALAR = 0,
  ARNN_ISA_NEON = 1,   /* AArch64 Advanced SIMD (baseline on AArch64) */
  ARNN_ISA_AVX2 = 2,   /* AVX2 + FMA3, YMM state enabled by the OS */
  ARNN_ISA_AVX512 = 3, /* AVX-512 F+BW+DQ+VL, ZMM and opmask state enabled by the OS */
  ARNN_ISA_COUNT
} arnn_isa_level;

/* Highest level this CPU and OS support, detected on first call (cheap after). */
arnn_isa_level arnn_cpu_best_isa(void);

/* "scalar", "neon", "avx2", "avx512"; NULL for an invalid level. */
const char *arnn_isa_level_name(arnn_isa_level level);

/* Level for a name (exact, lower case); -1 if unknown. */
int arnn_isa_level_from_name(const char *name);

/* True when `level` is supported by this CPU's architecture at all
 * (e.g. NEON on x86-64 is never usable whatever the cap says). */
int arnn_isa_level_on_this_arch(arnn_isa_level level);

#endif
