/* The tests' assertion: counts failures (in the including file's static
 * `failures`), prints the first 50 with file and line, never aborts. */
#ifndef ARNN_TESTS_CHECK_H
#define ARNN_TESTS_CHECK_H
#include <stdio.h>
#define CHECK(cond, ...)                            \
  do {                                              \
    if (!(cond)) {                                  \
      failures++;                                   \
      if (failures < 50) {                          \
        printf("FAIL %s:%d: ", __FILE__, __LINE__); \
        printf(__VA_ARGS__);                        \
        printf("\n");                               \
      }                                             \
    }                                               \
  } while (0)
#endif
