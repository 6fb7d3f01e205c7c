#define UNFUSED_PASSES unfused_passes_avx2
#include "attention-unfused-inl.h"
