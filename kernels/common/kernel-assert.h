/* Debug checks of the kernels' preconditions (kernels/README.md, "Debug
 * assertions"). Each family header states its contract as one predicate,
 * arnn_<op>_args_ok(...), and every ISA's kernel asserts it on entry with
 * ARNN_KERNEL_ASSERT. They are the standard assert: on in Debug builds (the
 * sanitizer CI build), compiled out by NDEBUG in Release, where the predicate
 * is not even evaluated, so a kernel's code is the same as without them. A
 * failed check is a caller's bug: the public API validates its arguments and
 * reports a status before any kernel runs. */
#ifndef ARNN_KERNELS_COMMON_KERNEL_ASSERT_H
#define ARNN_KERNELS_COMMON_KERNEL_ASSERT_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#define ARNN_KERNEL_ASSERT(cond) assert(cond)

/* 1 when the byte ranges [a, a + an) and [b, b + bn) do not overlap; an empty
 * range overlaps nothing. */
static inline int arnn_kernel_disjoint(const void *a, size_t an, const void *b, size_t bn) {
  const uintptr_t pa = (uintptr_t)a, pb = (uintptr_t)b;
  return an == 0 || bn == 0 || pa + an <= pb || pb + bn <= pa;
}

/* Bytes spanned by `rows` rows of `width` floats at a stride of `ld` floats. */
static inline size_t arnn_kernel_rows_bytes(size_t rows, size_t width, size_t ld) {
  return rows == 0 || width == 0 ? 0 : ((rows - 1) * ld + width) * sizeof(float);
}

#endif
