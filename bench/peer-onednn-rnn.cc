// oneDNN (libdnnl) bidirectional-concat LSTM / GRU, forward inference, f32,
// or bf16 data (PEER_ONEDNN_BF16: src, weights, dst; see peers-rnn.h). Everything but execute + stream wait happens at creation:
// primitive descriptor with weights either in format_tag::any (oneDNN's own
// choice: on AVX-512 cores 2.6 then picks its brgemm implementation with
// blocked weights for LSTM) or in plain ldigo (its gemm-based implementation),
// one reorder of the Keras-layout weights
// into it, a user-mode scratchpad (no allocation inside execute), src/dst in
// the tnc layout. Keras layouts map to oneDNN's directly: kernel [E,G*H] is
// ldigo with L = D = 1, gate orders agree (LSTM i,f,c,o; GRU u=z, r, o=h).
//
// Threads: Debian's libdnnl 2.6 uses the OpenMP runtime (libgomp), so the
// thread count is the calling thread's OpenMP ICV: omp_set_num_threads(n) at
// creation (oneDNN sizes its work split and scratchpad then) and before every
// execute (another bench in the same binary may have changed it).
#include <omp.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <exception>
#include <random>
#include <string>
#include <vector>

#include "oneapi/dnnl/dnnl.hpp"
#include "peers-rnn.h"

using dnnl::memory;
using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;

struct peer_onednn_rnn {
  int T, E, H, B, G, threads;
  peer_rnn_cell cell;
  dnnl::engine eng;
  dnnl::stream strm;
  dnnl::primitive prim;
  memory src, wl, wi, bias, dst, scratch;
  memory src_user, dst_user;  // f32 [T,B,*] tnc: the same memories as src/dst unless bf16
  std::string impl;
};

namespace {

thread_local std::string g_error;

const char *isa_name(dnnl::cpu_isa isa) {
  switch (isa) {
    case dnnl::cpu_isa::sse41: return "sse41";
    case dnnl::cpu_isa::avx: return "avx";
    case dnnl::cpu_isa::avx2: return "avx2";
    case dnnl::cpu_isa::avx2_vnni: return "avx2_vnni";
    case dnnl::cpu_isa::avx512_core: return "avx512_core";
    case dnnl::cpu_isa::avx512_core_vnni: return "avx512_core_vnni";
    case dnnl::cpu_isa::avx512_core_bf16: return "avx512_core_bf16";
    case dnnl::cpu_isa::avx512_core_amx: return "avx512_core_amx";
    default: return "other";
  }
}

void fill_uniform(std::vector<float> &v, float lo, float hi, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  for (float &x : v) x = d(rng);
}

// Copies Keras-layout weights of both directions into oneDNN user layouts:
// weights_layer ldigo {1,2,E,G,H}, weights_iter ldigo {1,2,H,G,H}, bias ldgo
// {1,2,Gb,H}. For lbr_gru (Keras reset_after=True, bias [2,3H] = input bias
// b_in, recurrent bias b_rec) oneDNN wants 4 bias gates:
// u = b_in_z + b_rec_z, r = b_in_r + b_rec_r, o = b_in_h, u' = b_rec_h
// (the last one is added to U_h h inside the reset product).
void keras_to_onednn(const peer_rnn_weights &kw, int E, int H, int G, peer_rnn_cell cell, float *wl, float *wi,
                     float *b) {
  const size_t GH = (size_t)G * H;
  for (int d = 0; d < 2; d++) {
    std::memcpy(wl + d * E * GH, kw.kernel[d], sizeof(float) * E * GH);
    std::memcpy(wi + d * H * GH, kw.recurrent[d], sizeof(float) * H * GH);
    if (cell == PEER_RNN_GRU) {
      const float *bin = kw.bias[d], *brec = kw.bias[d] + GH;
      float *bd = b + d * 4 * (size_t)H;
      for (int j = 0; j < 2 * H; j++) bd[j] = bin[j] + brec[j];
      for (int j = 0; j < H; j++) bd[2 * H + j] = bin[2 * H + j];
      for (int j = 0; j < H; j++) bd[3 * H + j] = brec[2 * H + j];
    } else {
      std::memcpy(b + d * GH, kw.bias[d], sizeof(float) * GH);
    }
  }
}

}  // namespace

extern "C" {

const char *peer_onednn_version(void) {
  static std::string s;
  if (s.empty()) {
    const dnnl_version_t *v = dnnl_version();
    char buf[160];
    std::snprintf(buf, sizeof buf, "oneDNN %d.%d.%d (cpu runtime %s, isa %s)", v->major, v->minor, v->patch,
                  v->cpu_runtime == DNNL_RUNTIME_OMP ? "OpenMP"
                  : v->cpu_runtime == DNNL_RUNTIME_TBB ? "TBB"
                  : v->cpu_runtime == DNNL_RUNTIME_SEQ ? "sequential"
                                                       : "other",
                  isa_name(dnnl::get_effective_cpu_isa()));
    s = buf;
  }
  return s.c_str();
}

peer_onednn_rnn *peer_onednn_rnn_create(const peer_rnn_workload *w, int batch, int threads, peer_rnn_cell cell,
                                        peer_onednn_weights layout, const peer_rnn_weights *weights,
                                        const char **error) {
  if (error) *error = nullptr;
  if (!w || batch < 1 || threads < 1 || w->T < 1 || w->E < 1 || w->H < 1) {
    g_error = "bad arguments";
    if (error) *error = g_error.c_str();
    return nullptr;
  }
  peer_onednn_rnn *p = nullptr;
  try {
    omp_set_num_threads(threads);
    p = new peer_onednn_rnn;
    p->T = w->T, p->E = w->E, p->H = w->H, p->B = batch, p->threads = threads, p->cell = cell;
    const int G = p->G = peer_rnn_gates(cell);
    const int Gb = cell == PEER_RNN_GRU ? 4 : G;  // lbr_gru has an extra bias gate
    const memory::dim T = w->T, E = w->E, H = w->H, B = batch;
    p->eng = dnnl::engine(dnnl::engine::kind::cpu, 0);
    p->strm = dnnl::stream(p->eng);

    const dt data = layout == PEER_ONEDNN_BF16 ? dt::bf16 : dt::f32;
    const memory::desc src_md({T, B, E}, data, tag::tnc);
    const memory::desc dst_md({T, B, 2 * H}, data, tag::tnc);
    const tag wtag = layout == PEER_ONEDNN_WEIGHTS_PLAIN ? tag::ldigo : tag::any;
    const memory::desc wl_any({1, 2, E, G, H}, data, wtag);
    const memory::desc wi_any({1, 2, H, G, H}, data, wtag);
    const memory::desc wl_user({1, 2, E, G, H}, dt::f32, tag::ldigo);
    const memory::desc wi_user({1, 2, H, G, H}, dt::f32, tag::ldigo);
    const memory::desc bias_md({1, 2, Gb, H}, dt::f32, tag::ldgo);
    const memory::desc none;  // zero initial state, final state not returned
    const auto prop = dnnl::prop_kind::forward_inference;
    const auto dir = dnnl::rnn_direction::bidirectional_concat;
    dnnl::primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);

    memory::desc wl_md, wi_md, scratch_md;
    if (cell == PEER_RNN_LSTM) {
      dnnl::lstm_forward::desc d(prop, dir, src_md, none, none, wl_any, wi_any, bias_md, dst_md, none, none);
      dnnl::lstm_forward::primitive_desc pd(d, attr, p->eng);
      wl_md = pd.weights_layer_desc(), wi_md = pd.weights_iter_desc(), scratch_md = pd.scratchpad_desc();
      p->prim = dnnl::lstm_forward(pd);
      p->impl = pd.impl_info_str();
    } else if (cell == PEER_RNN_GRU) {
      dnnl::lbr_gru_forward::desc d(prop, dir, src_md, none, wl_any, wi_any, bias_md, dst_md, none);
      dnnl::lbr_gru_forward::primitive_desc pd(d, attr, p->eng);
      wl_md = pd.weights_layer_desc(), wi_md = pd.weights_iter_desc(), scratch_md = pd.scratchpad_desc();
      p->prim = dnnl::lbr_gru_forward(pd);
      p->impl = pd.impl_info_str();
    } else {
      dnnl::gru_forward::desc d(prop, dir, src_md, none, wl_any, wi_any, bias_md, dst_md, none);
      dnnl::gru_forward::primitive_desc pd(d, attr, p->eng);
      wl_md = pd.weights_layer_desc(), wi_md = pd.weights_iter_desc(), scratch_md = pd.scratchpad_desc();
      p->prim = dnnl::gru_forward(pd);
      p->impl = pd.impl_info_str();
    }

    // Keras-layout weights (given or random) -> oneDNN user layout -> packed.
    const size_t GH = (size_t)G * w->H;
    std::vector<float> k[2], r[2], bb[2];
    peer_rnn_weights kw{};
    if (weights) {
      kw = *weights;
    } else {
      for (int d = 0; d < 2; d++) {
        k[d].resize((size_t)w->E * GH), r[d].resize((size_t)w->H * GH);
        bb[d].resize(cell == PEER_RNN_GRU ? 2 * GH : GH);
        fill_uniform(k[d], -0.1f, 0.1f, 11 + d), fill_uniform(r[d], -0.1f, 0.1f, 21 + d);
        fill_uniform(bb[d], -0.1f, 0.1f, 31 + d);
        kw.kernel[d] = k[d].data(), kw.recurrent[d] = r[d].data(), kw.bias[d] = bb[d].data();
      }
    }
    memory wl_u(wl_user, p->eng), wi_u(wi_user, p->eng);
    p->bias = memory(bias_md, p->eng);
    keras_to_onednn(kw, w->E, w->H, G, cell, static_cast<float *>(wl_u.get_data_handle()),
                    static_cast<float *>(wi_u.get_data_handle()), static_cast<float *>(p->bias.get_data_handle()));
    p->wl = memory(wl_md, p->eng);
    p->wi = memory(wi_md, p->eng);
    dnnl::reorder(wl_u, p->wl).execute(p->strm, wl_u, p->wl);
    dnnl::reorder(wi_u, p->wi).execute(p->strm, wi_u, p->wi);
    p->strm.wait();

    p->src = memory(src_md, p->eng);
    p->dst = memory(dst_md, p->eng);
    p->scratch = memory(scratch_md, p->eng);
    if (data == dt::f32) {
      p->src_user = p->src, p->dst_user = p->dst;
    } else {
      p->src_user = memory({{T, B, E}, dt::f32, tag::tnc}, p->eng);
      p->dst_user = memory({{T, B, 2 * H}, dt::f32, tag::tnc}, p->eng);
    }
    std::vector<float> x((size_t)T * B * E);
    fill_uniform(x, -1.0f, 1.0f, 41);
    std::memcpy(p->src_user.get_data_handle(), x.data(), sizeof(float) * x.size());
    if (data != dt::f32) dnnl::reorder(p->src_user, p->src).execute(p->strm, p->src_user, p->src);
    std::memset(p->dst.get_data_handle(), 0, dst_md.get_size());
    p->strm.wait();
    return p;
  } catch (const dnnl::error &e) {
    g_error = std::string("oneDNN: ") + e.what() + " (status " + std::to_string((int)e.status) + ")";
  } catch (const std::exception &e) {
    g_error = std::string("oneDNN peer: ") + e.what();
  }
  delete p;
  if (error) *error = g_error.c_str();
  return nullptr;
}

int peer_onednn_rnn_run(peer_onednn_rnn *p) {
  try {
    omp_set_num_threads(p->threads);
    p->prim.execute(p->strm, {{DNNL_ARG_SRC_LAYER, p->src},
                              {DNNL_ARG_WEIGHTS_LAYER, p->wl},
                              {DNNL_ARG_WEIGHTS_ITER, p->wi},
                              {DNNL_ARG_BIAS, p->bias},
                              {DNNL_ARG_DST_LAYER, p->dst},
                              {DNNL_ARG_SCRATCHPAD, p->scratch}});
    p->strm.wait();
    return 0;
  } catch (const dnnl::error &) {
    return 1;
  }
}

void peer_onednn_rnn_set_input(peer_onednn_rnn *p, const float *x) {
  float *s = static_cast<float *>(p->src_user.get_data_handle());
  for (int b = 0; b < p->B; b++)
    for (int t = 0; t < p->T; t++)
      std::memcpy(s + ((size_t)t * p->B + b) * p->E, x + ((size_t)b * p->T + t) * p->E, sizeof(float) * p->E);
  if (p->src_user != p->src) {
    dnnl::reorder(p->src_user, p->src).execute(p->strm, p->src_user, p->src);
    p->strm.wait();
  }
}

void peer_onednn_rnn_get_output(const peer_onednn_rnn *p, float *y) {
  if (p->dst_user != p->dst) {
    dnnl::stream strm(p->eng);
    dnnl::reorder(p->dst, p->dst_user).execute(strm, const_cast<memory &>(p->dst), const_cast<memory &>(p->dst_user));
    strm.wait();
  }
  const float *d = static_cast<const float *>(p->dst_user.get_data_handle());
  const size_t C = 2 * (size_t)p->H;
  for (int b = 0; b < p->B; b++)
    for (int t = 0; t < p->T; t++)
      std::memcpy(y + ((size_t)b * p->T + t) * C, d + ((size_t)t * p->B + b) * C, sizeof(float) * C);
}

const char *peer_onednn_rnn_impl(const peer_onednn_rnn *p) { return p->impl.c_str(); }

void peer_onednn_rnn_destroy(peer_onednn_rnn *p) { delete p; }

}  // extern "C"
