// SessionCheckpoint: the whole state of a Session between two ops, to restart from.
//
//   SessionCheckpoint before = session.Checkpoint();
//   StepRecord a = session.Run(op);          // e.g. with a failpoint armed
//   session.Restore(before);
//   StepRecord b = session.Run(op);          // starts from exactly the state `a` started from
//
// The explorer (harness/explore/) re-runs one message many times, once per crash point, from the state before
// it. A checkpoint captures everything Session::Run depends on:
//   - stable memory (a copy-on-write MemorySnapshot: taking one costs the pages changed since the last one),
//     and the canister's settings (capacity limit, update instruction budget);
//   - the page model (committed bytes; a checkpoint is only taken between ops, so nothing is pending);
//   - the data model's content (sqlite3_serialize; restored with sqlite3_deserialize);
//   - the session's own counters: schema_version, recorded migration versions, ops and messages so far, the
//     pending `arm` specs, the last op's located faults and whether it applied.
// The Judge keeps no state between messages that affects a judgement (its options are fixed by the
// SessionOptions; its memo of image reads, like the data model's memo of its dump, is keyed by the full file
// content and so answers the same whatever ran before), so it needs none.
//
// What Restore rebuilds rather than copies, and why that is still deterministic:
//   - Heap state (MemoryManager, Db, SQLite's page cache) cannot be copied: Restore rebuilds it from the
//     restored memory (Canister::RebuildHeap), exactly as an upgrade or the reboot after a trap does. A run
//     after Restore therefore starts with a cold heap, and may write differently from the same op run on the
//     warm heap of an uninterrupted session (a fresh SQLite connection can dirty another page); the scenario
//     equivalent of a Restore is an `upgrade` before the op.
//   - The thread's failpoint registry is cleared and re-armed: the session-wide faults (their chains restart)
//     and the pending arm specs, in order; the failpoint PRNG is reseeded from the seed and the op index. Hit
//     counters restart at zero (Run only uses differences).
//   - Not captured: the simulator's own PRNG (it decides torn/misdirect/bitflip faults armed without an
//     argument) and its message and cost counters, which only label fault reports; connection-level PRAGMA
//     settings of the data model's SQLite handle. A caller that needs exact repeats arms faults with explicit
//     arguments (the explorer arms torn(N)).
//
// A checkpoint is immutable and cheap to copy (one shared pointer); it may be restored any number of times,
// into this Session or into another Session built with equal SessionOptions on any thread, concurrently.
#pragma once

#include <cstdint>
#include <memory>
#include <utility>

namespace stablevfs::ops {

class SessionCheckpoint {
 public:
  // An empty checkpoint; Restore rejects it.
  SessionCheckpoint() = default;

  bool empty() const { return state_ == nullptr; }
  // Ops run (StepRecord::index of the next op) and messages sent when the checkpoint was taken.
  // REQUIRES: !empty().
  uint64_t steps() const;
  uint64_t messages() const;

 private:
  friend class Session;
  struct State;  // session_checkpoint.cpp
  explicit SessionCheckpoint(std::shared_ptr<const State> state) : state_(std::move(state)) {}

  std::shared_ptr<const State> state_;
};

}  // namespace stablevfs::ops
