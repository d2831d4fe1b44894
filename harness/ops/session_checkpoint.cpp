// Session::Checkpoint and Session::Restore (declared in interpreter.h, described in session_checkpoint.h).
#include "harness/ops/session_checkpoint.h"

#include <sqlite3.h>

#include <cstring>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "failpoints/registry.h"
#include "harness/model/sqlite_db.h"
#include "harness/ops/interpreter.h"
#include "harness/sim/memory_snapshot.h"

namespace stablevfs::ops {

struct SessionCheckpoint::State {
  // Which sessions may restore it: those built with the same seed, faults and memory stack.
  uint64_t seed = 0;
  std::string faults;
  bool use_memory_manager = true;
  uint8_t memory_id = 0;

  sim::MemorySnapshot memory;
  std::optional<uint64_t> max_pages;
  uint64_t instructions_max = 0;

  model::PageModel page_model;
  std::vector<uint8_t> data_image;

  std::vector<std::string> pending_arm_texts;
  std::set<std::string> pending_arm_names;
  std::vector<LocatedFault> last_faults;
  bool last_op_applied = true;
  uint64_t schema_version = 0;
  std::set<uint64_t> recorded_versions;
  size_t steps = 0;
  uint64_t messages = 0;
};

uint64_t SessionCheckpoint::steps() const { return state_->steps; }
uint64_t SessionCheckpoint::messages() const { return state_->messages; }

SessionCheckpoint Session::Checkpoint() {
  if (page_model_.has_pending()) {
    throw std::logic_error("Session::Checkpoint: the page model has pending writes (checkpoint between ops only)");
  }
  auto state = std::make_shared<SessionCheckpoint::State>();
  state->seed = options_.seed;
  state->faults = options_.faults;
  state->use_memory_manager = options_.use_memory_manager;
  state->memory_id = options_.memory_id;

  sim::SimStableMemory& memory = canister_->memory();
  state->memory = memory.Snapshot();
  state->max_pages = memory.max_pages();
  state->instructions_max = memory.limits(sim::MessageKind::kUpdate).instructions_max;

  state->page_model = page_model_;
  state->data_image = model::SerializeImage(data_model_.handle());

  state->pending_arm_texts = pending_arm_texts_;
  state->pending_arm_names = pending_arm_names_;
  state->last_faults = last_faults_;
  state->last_op_applied = last_op_applied_;
  state->schema_version = schema_version_;
  state->recorded_versions = recorded_versions_;
  state->steps = steps_;
  state->messages = messages_;
  return SessionCheckpoint(std::move(state));
}

void Session::Restore(const SessionCheckpoint& checkpoint) {
  if (checkpoint.empty()) throw std::invalid_argument("Session::Restore: empty checkpoint");
  const SessionCheckpoint::State& state = *checkpoint.state_;
  if (state.seed != options_.seed || state.faults != options_.faults ||
      state.use_memory_manager != options_.use_memory_manager || state.memory_id != options_.memory_id) {
    throw std::invalid_argument("Session::Restore: the checkpoint comes from a session with other options");
  }

  // Nothing armed while the heap is rebuilt: opening the database evaluates sites too, and a fault there
  // would not be part of any message.
  fp::ClearAll();

  sim::SimStableMemory& memory = canister_->memory();
  if (memory.in_message()) throw std::logic_error("Session::Restore: a message is open");
  memory.Restore(state.memory);
  memory.ClearFaultRecord();
  canister_->SetCapacityPages(state.max_pages);
  canister_->SetInstructionBudget(state.instructions_max);
  canister_->RebuildHeap();

  page_model_ = state.page_model;
  // Most restores follow a run that left the data model as it was (an error, a trap, a crash that kept the old
  // state): then its bytes equal the checkpoint's and reloading them would only make SQLite re-read its schema.
  // NOCOPY reads SQLite's own buffer, available once the database lives in memdb (after the first load).
  sqlite3_int64 current_size = 0;
  const unsigned char* current =
      sqlite3_serialize(data_model_.handle(), "main", &current_size, SQLITE_SERIALIZE_NOCOPY);
  const bool unchanged = current != nullptr && static_cast<uint64_t>(current_size) == state.data_image.size() &&
                         (state.data_image.empty() ||
                          std::memcmp(current, state.data_image.data(), state.data_image.size()) == 0);
  if (!unchanged) model::LoadImage(data_model_.handle(), state.data_image);

  pending_arm_texts_ = state.pending_arm_texts;
  pending_arm_names_ = state.pending_arm_names;
  last_faults_ = state.last_faults;
  last_op_applied_ = state.last_op_applied;
  schema_version_ = state.schema_version;
  recorded_versions_ = state.recorded_versions;
  steps_ = state.steps;
  messages_ = state.messages;

  // The registry as the constructor and the arm ops left it, with a PRNG seed that depends only on the
  // session's seed and the op index, so every restore of this checkpoint draws alike.
  fp::SetSeed(MixSeed(MixSeed(options_.seed ^ 0x2) ^ state.steps));
  if (!faults_.entries.empty()) {
    const fp::SpecStatus armed = fp::Arm(faults_);
    if (!armed.ok()) throw std::logic_error("Session::Restore: faults no longer arm: " + armed.message());
  }
  for (const std::string& text : pending_arm_texts_) {
    const fp::SpecStatus armed = fp::Arm(std::string_view(text));
    if (!armed.ok()) throw std::logic_error("Session::Restore: a pending arm no longer arms: " + armed.message());
  }
}

}  // namespace stablevfs::ops
