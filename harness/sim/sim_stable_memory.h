// SimStableMemory: the Internet Computer's stable memory as the harness needs it, as a decorator.
//
// It wraps any StableMemory (not owned) and adds, without the library knowing:
//
//   Messages.    BeginMessage / CommitMessage / TrapMessage. A trapped message is undone exactly: contents and
//                size. Undo is page-granular at 4 KiB: the first write to a 4 KiB page inside a message saves
//                the page's old bytes, so a rollback costs O(pages dirtied), never O(memory size). Query
//                messages are always rolled back. Outside a message writes pass straight through (setup).
//   Grow undo.   The inner memory cannot shrink, so the decorator keeps its own logical size: size_pages()
//                reports it and every access beyond it traps. The invariant that makes this exact: every inner
//                byte at or beyond the logical size is zero. A write to a page beyond the size at the start of
//                the message therefore needs no saved copy (its old bytes are known zeros), and its undo
//                re-zeroes it; so after a rollback the grown-and-discarded pages read zero again, and a later
//                grow reuses them (growing the inner memory only past its current size).
//   Cost.        The IC cost model (cost_model.h): 20 + 1/byte per read or write call, 1,000 per newly dirtied
//                4 KiB page, 500 per grow, counted per message and in total, with per-kind limits on
//                instructions and dirty pages that trap (stablevfs::Trap naming the limit). Accounting can be
//                switched off for speed; undo and dirty-page tracking cannot (rollback needs them).
//   Power loss.  The ordered journal of the message's writes and grows, each with its true bytes. CrashAtWrite
//                (k) freezes the memory as if the power failed before write k: it rolls the message back and
//                replays exactly the events before write k (grows before it included). TearAtWrite(k) also
//                lets write k persist in part (a prefix or a subset of its 512-byte sectors). A frozen memory
//                refuses writes and grows (fp::Abort{kCrash}) until Reboot, TrapMessage or Restore.
//   Faults.      The failpoint memory.write, evaluated on every write (see the table below), with a record of
//                each storage fault injected, kept apart from the true bytes in the journal (TigerBeetle).
//   Snapshots.   Snapshot / Restore of the whole memory, copy-on-write at 4 KiB: each snapshot shares
//                unchanged pages with the previous one, and Restore writes back only pages that differ.
//   Identity.    Digest, Image and Matches for the judgement, uncharged.
//
// memory.write actions (failpoints/failpoint.h; arguments as in failpoints/trigger.h):
//   trap       the write lands, then fp::Abort{kTrap} is thrown (the harness rolls the message back).
//   crash      the power fails before the write: nothing lands, the memory freezes, fp::Abort{kCrash}.
//   torn       part of the write lands, the memory freezes, fp::Abort{kTorn}. No argument: a seeded choice of
//              prefix or subset. torn(prefix): the first n of its s 512-byte sectors, n seeded in [1, s-1]
//              (0 when s = 1). torn(subset): each sector independently with probability 1/2, seeded.
//              torn(N): exactly the first min(N, length) bytes.
//   lost       nothing lands; write() returns normally.
//   misdirect  the bytes land elsewhere; write() returns normally. No argument: shifted by a seeded nonzero
//              multiple of 4 KiB that keeps them inside the memory. misdirect(D): D bytes away. When no
//              in-bounds target exists the write is lost instead, and recorded as lost.
//   bitflip    the bytes land with one bit inverted; write() returns normally. No argument: a seeded bit.
//              bitflip(B): bit B mod (8 * length). A zero-length write has no bit to flip and lands as is.
//   error      does not apply (a write cannot return an error; the catalogue rejects it): std::logic_error.
// Order inside write(): frozen check, bounds check (Trap), charge and limits (Trap), then the failpoint. A
// write that traps on bounds or limits never reaches the failpoint and is not journaled.
//
// Not thread-safe; one decorator is driven by one thread (failpoints are per thread too).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <vector>

#include "failpoints/failpoint.h"
#include "failpoints/trigger.h"
#include "harness/sim/cost_model.h"
#include "harness/sim/memory_snapshot.h"
#include "harness/sim/page_set.h"
#include "harness/sim/write_journal.h"
#include "lib/memory/stable_memory.h"

namespace stablevfs::sim {

struct SimOptions {
  uint64_t seed = 0;             // feeds every seeded fault decision of memory.write
  bool cost_accounting = true;   // charge the cost model and enforce limits
  bool record_journal = true;    // keep each write's bytes: needed by CrashAtWrite, TearAtWrite, HealStorageFaults
};

// How TearAtWrite tears the in-flight write.
struct Tear {
  enum class Mode : uint8_t {
    kPrefix,  // the first `prefix_sectors` 512-byte sectors of the write persist
    kSubset,  // each sector persists independently with probability 1/2, drawn from `seed`
  };
  Mode mode = Mode::kPrefix;
  uint64_t prefix_sectors = 0;
  uint64_t seed = 0;
};

class SimStableMemory final : public StableMemory {
 public:
  // `inner` must outlive the decorator and must not be modified except through it while it is attached
  // (snapshots and the zero-tail invariant rely on that). The logical size starts at inner.size_pages(), and
  // the inner memory is assumed to satisfy StableMemory's contract (its bytes are what it reports).
  explicit SimStableMemory(StableMemory& inner, SimOptions options = {});
  SimStableMemory(const SimStableMemory&) = delete;
  SimStableMemory& operator=(const SimStableMemory&) = delete;

  // --- StableMemory ---

  // The logical size (see "Grow undo" above).
  uint64_t size_pages() const override { return size_pages_; }
  // Charged 500 instructions in a message (successful or not). Journaled in a message. Returns -1 when the
  // inner memory cannot grow or the size would pass max_pages(). Throws fp::Abort{kCrash} when frozen.
  int64_t grow(uint64_t delta_pages) override;
  // Charged in a message. Allowed while frozen (the harness inspects a crashed memory).
  void read(uint64_t offset_bytes, std::span<uint8_t> out) override;
  // See the header comment. Throws fp::Abort{kCrash} when frozen.
  void write(uint64_t offset_bytes, std::span<const uint8_t> data) override;

  // --- Messages ---

  // Starts a message of `kind`: resets the message counters, journal and undo set.
  // REQUIRES: no message is open and the memory is not frozen (else std::logic_error).
  void BeginMessage(MessageKind kind);
  // Ends the message successfully: an update or upgrade keeps its changes, a query is rolled back.
  // REQUIRES: a message is open and the memory is not frozen (after a crash call Reboot) (else std::logic_error).
  void CommitMessage();
  // Ends the message as a trap: contents and size return exactly to what they were at BeginMessage. Also
  // undoes a crash inside the message (unfreezes). REQUIRES: a message is open (else std::logic_error).
  void TrapMessage();
  // The power comes back: whatever is in the memory now persists (the state a crash froze, or every write so
  // far if nothing crashed); an open message ends (a query's changes are still discarded: a query never
  // touches the persistent state). Unfreezes. Valid at any time.
  void Reboot();

  bool in_message() const { return in_message_; }
  // REQUIRES: in_message().
  MessageKind message_kind() const { return kind_; }
  // How many messages have begun (the current one's ordinal while in_message()).
  uint64_t message_ordinal() const { return message_ordinal_; }
  // The size when the current message began. REQUIRES: in_message().
  uint64_t message_start_size_pages() const { return start_size_pages_; }

  // --- Dirty pages ---

  // 4 KiB pages newly dirtied by write calls of the current message, as the IC counts them (a page counts
  // once however often it is written; a write spanning k pages dirties up to k). Kept even when cost
  // accounting is off. 0 outside a message.
  uint64_t dirty_pages() const { return dirty_pages_; }

  // --- Cost ---

  // Counters of the current (or, after it ended, the last) message, and of everything since construction.
  // Nothing is charged outside a message (setup) or while accounting is off.
  const CostCounters& message_counters() const { return message_counters_; }
  const CostCounters& total_counters() const { return total_counters_; }
  // Charges work done outside stable memory (the canister's own instructions) to the current message and
  // checks the instruction limit (throws Trap). Does nothing outside a message or with accounting off.
  void ChargeInstructions(uint64_t instructions);

  bool cost_accounting() const { return options_.cost_accounting; }
  void set_cost_accounting(bool on) { options_.cost_accounting = on; }
  const CostModel& cost_model() const { return cost_model_; }
  void set_cost_model(const CostModel& model) { cost_model_ = model; }
  MessageLimits limits(MessageKind kind) const { return limits_[static_cast<size_t>(kind)]; }
  // Replaces the limits of `kind` (applies from the next charge on).
  void set_limits(MessageKind kind, MessageLimits limits) { limits_[static_cast<size_t>(kind)] = limits; }

  // A cap on the logical size, checked by grow before the inner memory is asked. Needed because after a
  // rolled-back grow the decorator has spare inner pages and would not ask the inner memory again.
  std::optional<uint64_t> max_pages() const { return max_pages_; }
  void set_max_pages(std::optional<uint64_t> max_pages) { max_pages_ = max_pages; }

  // --- Power loss ---

  // The events of the current message, in order (writes that trapped on bounds or limits, and a write the
  // power failed before, are not events).
  std::span<const JournalEvent> journal() const { return journal_; }
  // The true bytes of write event `event`. REQUIRES: the journal records bytes; `event` is a write of journal().
  std::span<const uint8_t> JournalBytes(const JournalEvent& event) const;
  // Writes in the current message so far.
  uint64_t write_count() const { return write_count_; }

  // Freezes the memory as if the power failed just before event `event_index` of the current message: the
  // state at BeginMessage plus exactly events [0, event_index), with their storage faults. May be called
  // again (for another index) while frozen; the journal is kept whole.
  // REQUIRES: in a message, the journal records bytes, event_index <= journal().size() (else std::logic_error
  // / std::out_of_range).
  void CrashAtEvent(size_t event_index);
  // CrashAtEvent of the event of write `write_index`; write_index == write_count() means after every event.
  // Grows between write k-1 and write k happened before write k, so they persist.
  void CrashAtWrite(uint64_t write_index);
  // As CrashAtWrite(write_index), then write `write_index` persists in part as `tear` says (sectors are the
  // aligned 512-byte sectors of the memory that the write covers; a partially covered sector persists the
  // write's bytes in it or none of them). REQUIRES: write_index < write_count().
  void TearAtWrite(uint64_t write_index, const Tear& tear);
  // Freezes the memory as it is now (for a crash raised by a library failpoint before its write).
  void PowerFail() { frozen_ = true; }
  bool frozen() const { return frozen_; }

  // --- Storage faults ---

  // Every storage fault (torn, lost, misdirect, bitflip) present in the memory, in order: those of ended
  // messages (and of writes outside messages) since construction or ClearFaultRecord, then those of the
  // current message's persisted events. Faults of rolled-back messages are not present and not listed.
  std::vector<InjectedFault> InjectedFaults() const;
  // Forgets the faults of ended messages (after the harness has judged them).
  void ClearFaultRecord() { ended_faults_.clear(); }
  // Re-lands the current message's lost, misdirected and bit-flipped writes as they were meant (torn writes
  // stay torn: that is the power's doing, not the storage's), so the memory holds the true bytes again.
  // REQUIRES: in a message and the journal records bytes.
  void HealStorageFaults();

  // --- Snapshots ---

  // The whole memory (size and bytes) now. Costs O(pages changed since the previous Snapshot or Restore)
  // copies plus one pointer per 4 KiB page. The decorator keeps the latest snapshot's pages alive to share them.
  MemorySnapshot Snapshot();
  // Makes the memory equal to `snapshot` (size and bytes), writing only pages that differ when it can tell.
  // Unfreezes. REQUIRES: no message is open (else std::logic_error). Throws std::runtime_error when the inner
  // memory cannot grow to the snapshot's size.
  void Restore(const MemorySnapshot& snapshot);

  // --- Identity (uncharged, allowed at any time) ---

  // DigestOf (memory_image.h) of the logical memory.
  uint64_t Digest() const;
  // Every byte of the logical memory.
  std::vector<uint8_t> Image() const;
  // Same size and bytes as `snapshot`. Pages known unchanged since a shared snapshot are not compared.
  bool Matches(const MemorySnapshot& snapshot) const;

  StableMemory& inner() { return inner_; }

 private:
  // A tear chosen by TearAtWrite for the event it froze in.
  struct TearOverride {
    size_t event_index = 0;
    ByteRanges persisted_ranges;
  };

  void RequireMessage(const char* what) const;
  // Saves the old bytes of every 4 KiB page of [offset, offset + length) not yet saved in this message;
  // returns how many were new. REQUIRES: in a message.
  uint64_t SaveUndo(uint64_t offset_bytes, uint64_t length_bytes);
  // Writes to the inner memory, keeping the undo set (in a message) and the changed-page set up to date.
  void WriteInner(uint64_t offset_bytes, std::span<const uint8_t> bytes);
  // Lands event `event` as the storage did (or as `tear_ranges` says, if given).
  void ApplyEvent(const JournalEvent& event, std::span<const uint8_t> true_bytes, const ByteRanges* tear_ranges);
  // The grow logic on the logical size.
  int64_t GrowLogical(uint64_t delta_pages);
  // Restores contents and size to BeginMessage; clears the undo set.
  void RollBack();
  // Rolls back, then replays events [0, events) and the tear override, if any.
  void Rebuild(size_t events, const std::optional<TearOverride>& tear);
  void EndMessage();
  void Charge(uint64_t instructions, uint64_t new_dirty_pages);
  // Chooses what a fired memory.write action does with this write (fills event's fault fields).
  void ChooseFault(fp::Action action, const fp::Argument& argument, JournalEvent* event);
  ByteRanges TornRanges(uint64_t landed_offset_bytes, uint64_t length_bytes, const fp::Argument& argument);
  std::vector<InjectedFault> MessageFaults() const;
  InjectedFault FaultOf(const JournalEvent& event, uint64_t message_ordinal) const;
  // Pages of the snapshot that are known equal to the memory without reading it.
  bool KnownEqual(uint64_t os_page, const MemorySnapshot& snapshot) const;
  void ReadInnerPage(uint64_t os_page, std::span<uint8_t> out) const;

  StableMemory& inner_;
  SimOptions options_;
  CostModel cost_model_;
  std::array<MessageLimits, 3> limits_;
  std::optional<uint64_t> max_pages_;
  std::mt19937_64 rng_;

  uint64_t size_pages_ = 0;  // logical size
  bool frozen_ = false;

  // The current message.
  bool in_message_ = false;
  MessageKind kind_ = MessageKind::kUpdate;
  uint64_t message_ordinal_ = 0;
  uint64_t start_size_pages_ = 0;
  uint64_t dirty_pages_ = 0;
  PageSet undo_pages_;                // 4 KiB pages whose pre-message bytes are saved
  std::vector<uint64_t> undo_slots_;  // parallel to undo_pages_.members(): offset in undo_arena_, or kZeroSlot
  std::vector<uint8_t> undo_arena_;
  std::vector<JournalEvent> journal_;
  std::vector<uint8_t> journal_arena_;
  uint64_t write_count_ = 0;
  size_t applied_events_ = 0;         // events whose effects are in the memory (all, unless frozen by replay)
  std::optional<TearOverride> tear_;  // set by TearAtWrite

  CostCounters message_counters_;
  CostCounters total_counters_;
  std::vector<InjectedFault> ended_faults_;

  // Snapshots: the latest snapshot's page table and the pages written since it was taken or restored.
  MemorySnapshot base_;
  bool has_base_ = false;
  PageSet changed_pages_;
};

}  // namespace stablevfs::sim
