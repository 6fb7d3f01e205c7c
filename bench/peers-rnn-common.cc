// Workload table and FLOP / byte counts shared by the RNN peers and benches
// (see peers-rnn.h).
#include <cstring>

#include "peers-rnn.h"

extern "C" {

const peer_rnn_workload peer_rnn_workloads[PEER_RNN_NUM_WORKLOADS] = {
    {"imdb", 400, 50, 128},
    {"elmo", 40, 1024, 128},
    {"large", 100, 300, 512},
};

const peer_rnn_workload *peer_rnn_workload_find(const char *name) {
  if (!name) return nullptr;
  for (const peer_rnn_workload &w : peer_rnn_workloads)
    if (std::strcmp(w.name, name) == 0) return &w;
  return nullptr;
}

const char *peer_rnn_cell_name(peer_rnn_cell cell) {
  switch (cell) {
    case PEER_RNN_LSTM: return "lstm";
    case PEER_RNN_GRU: return "gru";
    case PEER_RNN_GRU_BEFORE: return "gru_rb";
  }
  return "?";
}

int peer_rnn_gates(peer_rnn_cell cell) { return cell == PEER_RNN_LSTM ? 4 : 3; }

double peer_rnn_flop(const peer_rnn_workload *w, int batch, peer_rnn_cell cell) {
  const double T = w->T, E = w->E, H = w->H, G = peer_rnn_gates(cell);
  return (double)batch * 2.0 * (2.0 * T * E * G * H + 2.0 * T * H * G * H);
}

double peer_rnn_whh_bytes_per_step(const peer_rnn_workload *w, peer_rnn_cell cell) {
  const double H = w->H, G = peer_rnn_gates(cell);
  return 2.0 * H * G * H * sizeof(float);
}

}  // extern "C"
