#define UNFUSED_PASSES unfused_passes_avx512
#include "attention-unfused-inl.h"
