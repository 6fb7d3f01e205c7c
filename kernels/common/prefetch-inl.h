/* Software prefetch that the compiler keeps.
 *
 * GCC 12 at -O2/-O3 deletes a loop whose only statements are
 * __builtin_prefetch (or _mm_prefetch): its dead-code elimination sees the
 * builtin as free of side effects, so a helper that walks a tile's lines and
 * requests them compiles to nothing (checked with objdump: 0 prefetch
 * instructions). An asm statement is kept. Its address goes in as a
 * register, not as a memory operand: a memory operand through a char pointer
 * may alias anything, and GCC then keeps every array the surrounding loop
 * updates (a tile's accumulators) in memory around the asm. Elsewhere the
 * builtin is used as is. */
#ifndef ARNN_KERNELS_COMMON_PREFETCH_INL_H
#define ARNN_KERNELS_COMMON_PREFETCH_INL_H

/* Request the line holding p into L1 (for reading). */
static inline void arnn_prefetch_l1(const void *p) {
#if defined(__x86_64__) || defined(__i386__)
  __asm__ volatile("prefetcht0 (%0)" : : "r"(p));
#else
  __builtin_prefetch(p, 0, 3);
#endif
}

/* Request the line holding p into L2 (not L1). */
static inline void arnn_prefetch_l2(const void *p) {
#if defined(__x86_64__) || defined(__i386__)
  __asm__ volatile("prefetcht1 (%0)" : : "r"(p));
#else
  __builtin_prefetch(p, 0, 2);
#endif
}

#endif
