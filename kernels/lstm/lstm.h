/* Fused LSTM step kernels, every ISA (list f32-lstm-step.inc; with bf16
 * recurrent weights, f32-lstm-step-bf16.inc). Contract, packed weight layouts
 * and arguments: ../rnn/rnn-step.h. */
#ifndef ARNN_KERNELS_LSTM_LSTM_H
#define ARNN_KERNELS_LSTM_LSTM_H

#include "../rnn/rnn-step.h"

#define ARNN_KERNEL(op, isa, arch)                                                                       \
  void arnn_f32_##op##__##isa(const arnn_rnn_step_args *a, size_t nb, const float *const *xp,          \
                              const float *const *h, float *const *c, float *const *h_out);
#include "f32-lstm-step.inc"
#include "f32-lstm-step-bf16.inc"
#undef ARNN_KERNEL

#endif
