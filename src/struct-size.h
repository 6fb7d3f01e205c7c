/* Versioned public structs. Every struct the API takes or fills by pointer
 * starts with `size_t struct_size`, the size the caller's header gave it.
 * Fields are only ever appended, so a caller built against an older header
 * passes a smaller struct_size and the library touches only that prefix:
 *  - an input struct (options, descriptors) is read over the library's
 *    defaults, so the fields the caller does not know keep their defaults;
 *  - an output struct (info) is filled up to min(struct_size, sizeof) and
 *    its struct_size is set to the number of bytes filled, which tells a
 *    caller built against a newer header which fields are valid.
 * The minimum is the end of the struct's last field in its first version;
 * less is ARNN_ERR_INVALID_ARGUMENT. A caller built against a newer header
 * may pass a larger input struct: the bytes this library does not know must
 * be zero (a newer field left at its zero default), otherwise the caller asked
 * for something this library cannot do: ARNN_ERR_UNSUPPORTED. */
#ifndef ARNN_SRC_STRUCT_SIZE_H
#define ARNN_SRC_STRUCT_SIZE_H

#include <stddef.h>
#include <string.h>

#include "arnn/arnn.h"

/* The bytes up to the end of `field`: a struct's size as of the version whose
 * last field is `field`, independent of trailing padding and of later fields. */
#define ARNN_STRUCT_END(type, field) (offsetof(type, field) + sizeof(((type *)0)->field))

/* *dst (known bytes, holding the defaults) takes the caller's struct at src. */
static inline arnn_status arnn_struct_read(void *dst, size_t known, size_t min_size, const void *src) {
  size_t given;
  memcpy(&given, src, sizeof given);
  if (given < min_size) return ARNN_ERR_INVALID_ARGUMENT;
  for (size_t i = known; i < given; i++)
    if (((const unsigned char *)src)[i] != 0) return ARNN_ERR_UNSUPPORTED;
  memcpy(dst, src, given < known ? given : known);
  return ARNN_OK;
}

/* The caller's struct at dst takes the filled struct at src (known bytes). */
static inline arnn_status arnn_struct_write(void *dst, const void *src, size_t known, size_t min_size) {
  size_t given;
  memcpy(&given, dst, sizeof given);
  if (given < min_size) return ARNN_ERR_INVALID_ARGUMENT;
  const size_t n = given < known ? given : known;
  memcpy(dst, src, n);
  memcpy(dst, &n, sizeof n);
  return ARNN_OK;
}

#endif
