#include "harness/sim/sim_stable_memory.h"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>

#include "failpoints/registry.h"
#include "harness/sim/memory_image.h"
#include "harness/sim/sim_failpoints.h"
#include "harness/sim/sim_random.h"
#include "lib/core/trap.h"

namespace stablevfs::sim {
namespace {

constexpr uint64_t kOsPagesPerWasmPage = kWasmPageBytes / kOsPageBytes;
static_assert(kOsPagesPerWasmPage * kOsPageBytes == kWasmPageBytes);
static_assert(kOsPageBytes % kSectorBytes == 0, "a torn write never splits a 512-byte sector across OS pages");

// The largest size whose byte count fits in 64 bits.
constexpr uint64_t kAddressablePagesMax = std::numeric_limits<uint64_t>::max() / kWasmPageBytes;

// Marks an undo slot whose page was beyond the size at the start of the message: its old bytes are zeros
// (the zero-tail invariant), so nothing was saved and undo writes zeros.
constexpr uint64_t kZeroSlot = std::numeric_limits<uint64_t>::max();

std::span<const uint8_t> ZeroPageBytes() { return *MemorySnapshot::ZeroPage(); }

// The sectors a write of `length_bytes` at `landed_offset_bytes` covers, as byte ranges relative to the write,
// keeping those for which keep(i) is true, adjacent ones merged. REQUIRES: length_bytes > 0.
template <typename Keep>
ByteRanges SectorRanges(uint64_t landed_offset_bytes, uint64_t length_bytes, Keep keep) {
  const uint64_t first_sector = landed_offset_bytes / kSectorBytes;
  const uint64_t last_sector = (landed_offset_bytes + length_bytes - 1) / kSectorBytes;
  ByteRanges ranges;
  for (uint64_t sector = first_sector; sector <= last_sector; ++sector) {
    if (!keep(sector - first_sector)) continue;
    const uint64_t begin = std::max(landed_offset_bytes, sector * kSectorBytes) - landed_offset_bytes;
    const uint64_t end =
        std::min(landed_offset_bytes + length_bytes, (sector + 1) * kSectorBytes) - landed_offset_bytes;
    if (!ranges.empty() && ranges.back().second == begin) {
      ranges.back().second = end;
    } else {
      ranges.emplace_back(begin, end);
    }
  }
  return ranges;
}

uint64_t SectorCount(uint64_t landed_offset_bytes, uint64_t length_bytes) {
  return (landed_offset_bytes + length_bytes - 1) / kSectorBytes - landed_offset_bytes / kSectorBytes + 1;
}

// Each sector kept independently with probability 1/2: one bit of `rng` per sector.
ByteRanges RandomSubset(uint64_t landed_offset_bytes, uint64_t length_bytes, std::mt19937_64& rng) {
  uint64_t bits = 0;
  return SectorRanges(landed_offset_bytes, length_bytes, [&](uint64_t i) {
    if (i % 64 == 0) bits = rng();
    return ((bits >> (i % 64)) & 1) != 0;
  });
}

ByteRanges PrefixSectors(uint64_t landed_offset_bytes, uint64_t length_bytes, uint64_t sectors) {
  return SectorRanges(landed_offset_bytes, length_bytes, [&](uint64_t i) { return i < sectors; });
}

[[noreturn]] void ThrowFrozen() {
  // The power is off: the write (or grow) never reaches the memory. Reported at the write site, where the
  // power failed or where the library would have written next.
  throw fp::Abort(fp::Action::kCrash, std::string(kMemoryWriteSite));
}

}  // namespace

SimStableMemory::SimStableMemory(StableMemory& inner, SimOptions options)
    : inner_(inner),
      options_(options),
      limits_{DefaultLimits(MessageKind::kUpdate), DefaultLimits(MessageKind::kQuery),
              DefaultLimits(MessageKind::kUpgrade)},
      rng_(options.seed),
      size_pages_(inner.size_pages()) {
  static_assert(static_cast<size_t>(MessageKind::kUpdate) == 0 && static_cast<size_t>(MessageKind::kQuery) == 1 &&
                static_cast<size_t>(MessageKind::kUpgrade) == 2);
  // Already done at start-up by sim_failpoints.cpp; repeated here (idempotent) so that the reference to it
  // guarantees that object file, and so its start-up registration, is linked into every user.
  RegisterSimFailpoints();
}

// --- StableMemory ---

int64_t SimStableMemory::grow(uint64_t delta_pages) {
  if (frozen_) ThrowFrozen();
  if (in_message_ && options_.cost_accounting) {
    ++message_counters_.grow_calls;
    ++total_counters_.grow_calls;
    Charge(cost_model_.grow_call_instructions, 0);
  }
  const int64_t result = GrowLogical(delta_pages);
  if (in_message_) {
    JournalEvent event;
    event.kind = JournalEvent::Kind::kGrow;
    event.delta_pages = delta_pages;
    event.grow_result = result;
    journal_.push_back(event);
    ++applied_events_;
  }
  return result;
}

void SimStableMemory::read(uint64_t offset_bytes, std::span<uint8_t> out) {
  CheckAccess("read", offset_bytes, out.size(), size_bytes());
  if (in_message_ && options_.cost_accounting) {
    ++message_counters_.read_calls;
    ++total_counters_.read_calls;
    message_counters_.bytes_read += out.size();
    total_counters_.bytes_read += out.size();
    Charge(cost_model_.AccessInstructions(out.size()), 0);
  }
  if (!out.empty()) inner_.read(offset_bytes, out);
}

void SimStableMemory::write(uint64_t offset_bytes, std::span<const uint8_t> data) {
  if (frozen_) ThrowFrozen();
  CheckAccess("write", offset_bytes, data.size(), size_bytes());
  const uint64_t length_bytes = data.size();
  if (in_message_) {
    // Saving the old bytes of the target pages first both prepares the undo and tells which pages are newly
    // dirty, which is what the IC charges and limits. A write the storage then loses or misdirects is
    // charged all the same: the IC cannot know.
    const uint64_t new_pages = SaveUndo(offset_bytes, length_bytes);
    dirty_pages_ += new_pages;
    if (options_.cost_accounting) {
      ++message_counters_.write_calls;
      ++total_counters_.write_calls;
      message_counters_.bytes_written += length_bytes;
      total_counters_.bytes_written += length_bytes;
      Charge(cost_model_.AccessInstructions(length_bytes) + new_pages * cost_model_.dirty_page_instructions,
             new_pages);
    }
  }

  const fp::Action action = STABLEVFS_FAILPOINT_EVAL("memory.write");
  JournalEvent event;
  event.kind = JournalEvent::Kind::kWrite;
  event.write_index = in_message_ ? write_count_ : 0;
  event.offset_bytes = offset_bytes;
  event.length_bytes = length_bytes;
  event.landed_offset_bytes = offset_bytes;
  if (action != fp::Action::kOff) [[unlikely]] {
    if (action == fp::Action::kError) {
      throw std::logic_error("memory.write was armed with 'error', which it cannot do: a stable write returns "
                             "nothing (arm trap, crash, torn, lost, misdirect or bitflip)");
    }
    if (action == fp::Action::kCrash) {
      frozen_ = true;
      throw fp::Abort(fp::Action::kCrash, std::string(kMemoryWriteSite));
    }
    // The argument of the term that fired (torn(prefix), misdirect(-4096), ...), if any.
    static const fp::SiteId site = fp::Intern(kMemoryWriteSite);
    fp::Argument argument;
    if (const std::optional<fp::Fire> fire = fp::LastFire();
        fire.has_value() && fire->site == site && fire->action == action) {
      argument = fire->argument;
    }
    ChooseFault(action, argument, &event);
  }

  if (in_message_) {
    if (options_.record_journal) {
      event.data_offset = journal_arena_.size();
      journal_arena_.insert(journal_arena_.end(), data.begin(), data.end());
    }
    journal_.push_back(event);
    ++applied_events_;
    ++write_count_;
  }
  ApplyEvent(event, data, event.fault == fp::Action::kTorn ? &event.persisted_ranges : nullptr);
  if (!in_message_ && event.fault != fp::Action::kOff) ended_faults_.push_back(FaultOf(event, 0));

  if (action == fp::Action::kTrap) throw fp::Abort(fp::Action::kTrap, std::string(kMemoryWriteSite));
  if (action == fp::Action::kTorn) {
    frozen_ = true;
    throw fp::Abort(fp::Action::kTorn, std::string(kMemoryWriteSite));
  }
}

// --- Messages ---

void SimStableMemory::RequireMessage(const char* what) const {
  if (!in_message_) throw std::logic_error(std::string(what) + " requires an open message");
}

void SimStableMemory::BeginMessage(MessageKind kind) {
  if (in_message_) throw std::logic_error("BeginMessage: a message is already open");
  if (frozen_) throw std::logic_error("BeginMessage: the memory is frozen by a crash; call Reboot first");
  in_message_ = true;
  kind_ = kind;
  ++message_ordinal_;
  start_size_pages_ = size_pages_;
  dirty_pages_ = 0;
  message_counters_ = {};
  journal_.clear();
  journal_arena_.clear();
  write_count_ = 0;
  applied_events_ = 0;
  tear_.reset();
  assert(undo_pages_.empty() && undo_slots_.empty());
}

void SimStableMemory::CommitMessage() {
  RequireMessage("CommitMessage");
  if (frozen_) throw std::logic_error("CommitMessage: the memory is frozen by a crash; call Reboot or TrapMessage");
  if (kind_ == MessageKind::kQuery) {
    RollBack();  // a query's changes never survive it
  } else {
    const std::vector<InjectedFault> faults = MessageFaults();
    ended_faults_.insert(ended_faults_.end(), faults.begin(), faults.end());
  }
  EndMessage();
}

void SimStableMemory::TrapMessage() {
  RequireMessage("TrapMessage");
  RollBack();
  frozen_ = false;
  EndMessage();
}

void SimStableMemory::Reboot() {
  if (in_message_) {
    if (kind_ == MessageKind::kQuery) {
      RollBack();
    } else {
      const std::vector<InjectedFault> faults = MessageFaults();
      ended_faults_.insert(ended_faults_.end(), faults.begin(), faults.end());
    }
    EndMessage();
  }
  frozen_ = false;
}

void SimStableMemory::EndMessage() {
  in_message_ = false;
  dirty_pages_ = 0;
  undo_pages_.Clear();
  undo_slots_.clear();
  undo_arena_.clear();
  journal_.clear();
  journal_arena_.clear();
  write_count_ = 0;
  applied_events_ = 0;
  tear_.reset();
}

// --- Undo ---

uint64_t SimStableMemory::SaveUndo(uint64_t offset_bytes, uint64_t length_bytes) {
  if (length_bytes == 0) return 0;
  const uint64_t first_page = offset_bytes / kOsPageBytes;
  const uint64_t last_page = (offset_bytes + length_bytes - 1) / kOsPageBytes;
  const uint64_t zero_from_page = start_size_pages_ * kOsPagesPerWasmPage;
  uint64_t new_pages = 0;
  for (uint64_t page = first_page; page <= last_page; ++page) {
    if (!undo_pages_.Insert(page)) continue;
    ++new_pages;
    if (page >= zero_from_page) {
      undo_slots_.push_back(kZeroSlot);  // grown in this message: known zeros, nothing to save
      continue;
    }
    const uint64_t slot = undo_arena_.size();
    undo_arena_.resize(slot + kOsPageBytes);
    inner_.read(page * kOsPageBytes, std::span<uint8_t>(undo_arena_.data() + slot, kOsPageBytes));
    undo_slots_.push_back(slot);
  }
  return new_pages;
}

void SimStableMemory::WriteInner(uint64_t offset_bytes, std::span<const uint8_t> bytes) {
  if (bytes.empty()) return;
  if (in_message_) SaveUndo(offset_bytes, bytes.size());
  inner_.write(offset_bytes, bytes);
  if (has_base_) {
    const uint64_t last_page = (offset_bytes + bytes.size() - 1) / kOsPageBytes;
    for (uint64_t page = offset_bytes / kOsPageBytes; page <= last_page; ++page) changed_pages_.Insert(page);
  }
}

void SimStableMemory::RollBack() {
  const std::span<const uint64_t> pages = undo_pages_.members();
  assert(pages.size() == undo_slots_.size());
  for (size_t i = 0; i < pages.size(); ++i) {
    const uint64_t slot = undo_slots_[i];
    const std::span<const uint8_t> old_bytes =
        slot == kZeroSlot ? ZeroPageBytes() : std::span<const uint8_t>(undo_arena_.data() + slot, kOsPageBytes);
    // Straight to the inner memory: these pages are already in the undo set, and the changed-page set must
    // learn about them (a snapshot taken inside the message may hold their dirty bytes).
    inner_.write(pages[i] * kOsPageBytes, old_bytes);
    if (has_base_) changed_pages_.Insert(pages[i]);
  }
  undo_pages_.Clear();
  undo_slots_.clear();
  undo_arena_.clear();
  // Every page beyond the old size that the message wrote was re-zeroed above, so the zero-tail invariant
  // holds again for the old size.
  size_pages_ = start_size_pages_;
}

int64_t SimStableMemory::GrowLogical(uint64_t delta_pages) {
  const uint64_t cap_pages = std::min(max_pages_.value_or(kAddressablePagesMax), kAddressablePagesMax);
  if (delta_pages > cap_pages || size_pages_ > cap_pages - delta_pages) return -1;
  const uint64_t new_size_pages = size_pages_ + delta_pages;
  const uint64_t inner_pages = inner_.size_pages();
  // Pages between the logical and the inner size are zeros left by a rolled-back grow: reuse them.
  if (new_size_pages > inner_pages && inner_.grow(new_size_pages - inner_pages) < 0) return -1;
  const uint64_t previous_pages = size_pages_;
  size_pages_ = new_size_pages;
  return static_cast<int64_t>(previous_pages);
}

// --- Faults ---

void SimStableMemory::ChooseFault(fp::Action action, const fp::Argument& argument, JournalEvent* event) {
  const uint64_t length_bytes = event->length_bytes;
  switch (action) {
    case fp::Action::kTorn:
      event->fault = fp::Action::kTorn;
      event->persisted_ranges = TornRanges(event->landed_offset_bytes, length_bytes, argument);
      return;
    case fp::Action::kLost:
      event->fault = fp::Action::kLost;
      return;
    case fp::Action::kMisdirect: {
      const uint64_t offset_bytes = event->offset_bytes;
      const uint64_t room_after_bytes = size_bytes() - length_bytes - offset_bytes;  // bounds checked already
      std::optional<uint64_t> landed;
      if (argument.kind == fp::Argument::Kind::kNumber && argument.number != 0) {
        const int64_t delta = argument.number;
        const uint64_t magnitude = delta < 0 ? uint64_t{0} - static_cast<uint64_t>(delta) : static_cast<uint64_t>(delta);
        if (delta < 0 && magnitude <= offset_bytes) landed = offset_bytes - magnitude;
        if (delta > 0 && magnitude <= room_after_bytes) landed = offset_bytes + magnitude;
      } else {
        // A nonzero whole number of 4 KiB pages, uniformly among those that keep the write inside the memory.
        const uint64_t pages_before = offset_bytes / kOsPageBytes;
        const uint64_t pages_after = room_after_bytes / kOsPageBytes;
        const uint64_t choices = pages_before + pages_after;
        if (choices > 0) {
          const uint64_t draw = UniformBelow(rng_, choices);
          landed = draw < pages_before ? offset_bytes - (draw + 1) * kOsPageBytes
                                       : offset_bytes + (draw - pages_before + 1) * kOsPageBytes;
        }
      }
      if (landed.has_value()) {
        event->fault = fp::Action::kMisdirect;
        event->landed_offset_bytes = *landed;
      } else {
        event->fault = fp::Action::kLost;  // nowhere else inside the memory to land: the write is lost
      }
      return;
    }
    case fp::Action::kBitflip:
      if (length_bytes == 0) return;  // no bit to flip
      event->fault = fp::Action::kBitflip;
      event->flipped_bit = argument.kind == fp::Argument::Kind::kNumber
                               ? static_cast<uint64_t>(argument.number) % (8 * length_bytes)
                               : UniformBelow(rng_, 8 * length_bytes);
      return;
    default:
      return;  // trap: the write lands as meant
  }
}

ByteRanges SimStableMemory::TornRanges(uint64_t landed_offset_bytes, uint64_t length_bytes,
                                       const fp::Argument& argument) {
  if (length_bytes == 0) return {};
  if (argument.kind == fp::Argument::Kind::kNumber) {
    const uint64_t prefix_bytes = std::min(static_cast<uint64_t>(argument.number), length_bytes);
    if (prefix_bytes == 0) return {};
    return {{0, prefix_bytes}};
  }
  bool prefix = argument.kind == fp::Argument::Kind::kPrefix;
  if (argument.kind == fp::Argument::Kind::kNone) prefix = (rng_() & 1) == 0;
  if (!prefix) return RandomSubset(landed_offset_bytes, length_bytes, rng_);
  // A genuine tear: neither nothing (that is a crash before the write) nor everything (a crash after it),
  // unless the write has a single sector and so cannot tear.
  const uint64_t sectors = SectorCount(landed_offset_bytes, length_bytes);
  const uint64_t kept = sectors >= 2 ? 1 + UniformBelow(rng_, sectors - 1) : 0;
  return PrefixSectors(landed_offset_bytes, length_bytes, kept);
}

void SimStableMemory::ApplyEvent(const JournalEvent& event, std::span<const uint8_t> true_bytes,
                                 const ByteRanges* tear_ranges) {
  assert(event.kind == JournalEvent::Kind::kWrite && true_bytes.size() == event.length_bytes);
  if (event.fault == fp::Action::kLost) return;
  std::span<const uint8_t> bytes = true_bytes;
  std::vector<uint8_t> flipped;
  if (event.fault == fp::Action::kBitflip) {
    flipped.assign(true_bytes.begin(), true_bytes.end());
    flipped[event.flipped_bit / 8] ^= static_cast<uint8_t>(1u << (event.flipped_bit % 8));
    bytes = flipped;
  }
  if (tear_ranges == nullptr) {
    WriteInner(event.landed_offset_bytes, bytes);
    return;
  }
  for (const auto& [begin, end] : *tear_ranges) {
    WriteInner(event.landed_offset_bytes + begin, bytes.subspan(begin, end - begin));
  }
}

InjectedFault SimStableMemory::FaultOf(const JournalEvent& event, uint64_t message_ordinal) const {
  InjectedFault fault;
  fault.action = event.fault;
  fault.message_ordinal = message_ordinal;
  fault.write_index = event.write_index;
  fault.offset_bytes = event.offset_bytes;
  fault.length_bytes = event.length_bytes;
  fault.landed_offset_bytes = event.landed_offset_bytes;
  fault.flipped_bit = event.flipped_bit;
  fault.persisted_ranges = event.persisted_ranges;
  return fault;
}

std::vector<InjectedFault> SimStableMemory::MessageFaults() const {
  std::vector<InjectedFault> faults;
  for (size_t i = 0; i < applied_events_; ++i) {
    const JournalEvent& event = journal_[i];
    if (event.kind == JournalEvent::Kind::kWrite && event.fault != fp::Action::kOff) {
      faults.push_back(FaultOf(event, message_ordinal_));
    }
  }
  if (tear_.has_value()) {
    const JournalEvent& event = journal_[tear_->event_index];
    // The torn write's own storage fault, if it had one, is present too (what did land, landed faulty).
    if (event.fault != fp::Action::kOff && event.fault != fp::Action::kTorn) {
      faults.push_back(FaultOf(event, message_ordinal_));
    }
    InjectedFault torn = FaultOf(event, message_ordinal_);
    torn.action = fp::Action::kTorn;
    torn.persisted_ranges = tear_->persisted_ranges;
    faults.push_back(std::move(torn));
  }
  return faults;
}

std::vector<InjectedFault> SimStableMemory::InjectedFaults() const {
  std::vector<InjectedFault> faults = ended_faults_;
  if (in_message_) {
    const std::vector<InjectedFault> current = MessageFaults();
    faults.insert(faults.end(), current.begin(), current.end());
  }
  return faults;
}

void SimStableMemory::HealStorageFaults() {
  RequireMessage("HealStorageFaults");
  if (!options_.record_journal) throw std::logic_error("HealStorageFaults needs SimOptions::record_journal");
  for (JournalEvent& event : journal_) {
    if (event.fault == fp::Action::kLost || event.fault == fp::Action::kMisdirect ||
        event.fault == fp::Action::kBitflip) {
      event.fault = fp::Action::kOff;
      event.landed_offset_bytes = event.offset_bytes;
      event.flipped_bit = 0;
    }
  }
  Rebuild(applied_events_, tear_);
}

// --- Power loss ---

std::span<const uint8_t> SimStableMemory::JournalBytes(const JournalEvent& event) const {
  assert(options_.record_journal && event.kind == JournalEvent::Kind::kWrite);
  return std::span<const uint8_t>(journal_arena_).subspan(event.data_offset, event.length_bytes);
}

void SimStableMemory::Rebuild(size_t events, const std::optional<TearOverride>& tear) {
  RollBack();
  for (size_t i = 0; i < events; ++i) {
    const JournalEvent& event = journal_[i];
    if (event.kind == JournalEvent::Kind::kGrow) {
      if (event.grow_result < 0) continue;
      // Exactly what happened, whatever max_pages() says now: the inner memory never shrinks, so it still has
      // the room it had then, and those pages are zeros again after the rollback.
      assert(size_pages_ == static_cast<uint64_t>(event.grow_result));
      size_pages_ = static_cast<uint64_t>(event.grow_result) + event.delta_pages;
      assert(inner_.size_pages() >= size_pages_);
      continue;
    }
    ApplyEvent(event, JournalBytes(event), event.fault == fp::Action::kTorn ? &event.persisted_ranges : nullptr);
  }
  if (tear.has_value()) {
    const JournalEvent& event = journal_[tear->event_index];
    ApplyEvent(event, JournalBytes(event), &tear->persisted_ranges);
  }
  applied_events_ = events;
  tear_ = tear;
}

void SimStableMemory::CrashAtEvent(size_t event_index) {
  RequireMessage("CrashAtEvent");
  if (!options_.record_journal) throw std::logic_error("CrashAtEvent needs SimOptions::record_journal");
  if (event_index > journal_.size()) {
    throw std::out_of_range("CrashAtEvent: event " + std::to_string(event_index) + " > " +
                            std::to_string(journal_.size()) + " events");
  }
  Rebuild(event_index, std::nullopt);
  frozen_ = true;
}

void SimStableMemory::CrashAtWrite(uint64_t write_index) {
  RequireMessage("CrashAtWrite");
  if (write_index > write_count_) {
    throw std::out_of_range("CrashAtWrite: write " + std::to_string(write_index) + " > " +
                            std::to_string(write_count_) + " writes");
  }
  size_t event_index = journal_.size();
  for (size_t i = 0; i < journal_.size(); ++i) {
    if (journal_[i].kind == JournalEvent::Kind::kWrite && journal_[i].write_index == write_index) {
      event_index = i;
      break;
    }
  }
  CrashAtEvent(event_index);
}

void SimStableMemory::TearAtWrite(uint64_t write_index, const Tear& tear) {
  RequireMessage("TearAtWrite");
  if (!options_.record_journal) throw std::logic_error("TearAtWrite needs SimOptions::record_journal");
  if (write_index >= write_count_) {
    throw std::out_of_range("TearAtWrite: write " + std::to_string(write_index) + " >= " +
                            std::to_string(write_count_) + " writes");
  }
  size_t event_index = 0;
  while (journal_[event_index].kind != JournalEvent::Kind::kWrite ||
         journal_[event_index].write_index != write_index) {
    ++event_index;
  }
  const JournalEvent& event = journal_[event_index];
  TearOverride tear_override{.event_index = event_index, .persisted_ranges = {}};
  if (event.length_bytes > 0) {
    if (tear.mode == Tear::Mode::kPrefix) {
      tear_override.persisted_ranges =
          PrefixSectors(event.landed_offset_bytes, event.length_bytes, tear.prefix_sectors);
    } else {
      std::mt19937_64 rng(tear.seed);
      tear_override.persisted_ranges = RandomSubset(event.landed_offset_bytes, event.length_bytes, rng);
    }
  }
  Rebuild(event_index, tear_override);
  frozen_ = true;
}

// --- Cost ---

void SimStableMemory::Charge(uint64_t instructions, uint64_t new_dirty_pages) {
  message_counters_.instructions += instructions;
  total_counters_.instructions += instructions;
  message_counters_.dirty_pages += new_dirty_pages;
  total_counters_.dirty_pages += new_dirty_pages;
  const MessageLimits& limits = limits_[static_cast<size_t>(kind_)];
  if (message_counters_.instructions > limits.instructions_max) {
    throw Trap("instruction limit exceeded in " + std::string(MessageKindName(kind_)) + " message: " +
               std::to_string(message_counters_.instructions) + " > " + std::to_string(limits.instructions_max) +
               " instructions");
  }
  if (message_counters_.dirty_pages > limits.dirty_pages_max) {
    throw Trap("dirty page limit exceeded in " + std::string(MessageKindName(kind_)) + " message: " +
               std::to_string(message_counters_.dirty_pages) + " > " + std::to_string(limits.dirty_pages_max) +
               " pages of 4 KiB");
  }
}

void SimStableMemory::ChargeInstructions(uint64_t instructions) {
  if (!in_message_ || !options_.cost_accounting) return;
  Charge(instructions, 0);
}

// --- Snapshots ---

void SimStableMemory::ReadInnerPage(uint64_t os_page, std::span<uint8_t> out) const {
  inner_.read(os_page * kOsPageBytes, out);
}

bool SimStableMemory::KnownEqual(uint64_t os_page, const MemorySnapshot& snapshot) const {
  if (!has_base_ || changed_pages_.Contains(os_page)) return false;
  // Unchanged since the base: the page holds the base's bytes, or zeros beyond the base's size (grown since).
  const MemorySnapshot::Page* known =
      os_page < base_.os_pages() ? (*base_.table_)[os_page].get() : MemorySnapshot::ZeroPage().get();
  const MemorySnapshot::Page* wanted =
      os_page < snapshot.os_pages() ? (*snapshot.table_)[os_page].get() : MemorySnapshot::ZeroPage().get();
  return known == wanted;
}

MemorySnapshot SimStableMemory::Snapshot() {
  // Nothing written since the base and the same size: the memory holds exactly the base's bytes (every change
  // to the inner memory goes through WriteInner or RollBack, which record the page in changed_pages_, or through
  // Restore, which replaces the base), so the base itself is the snapshot: no new table to build and free.
  if (has_base_ && changed_pages_.empty() && base_.size_pages() == size_pages_) return base_;
  const uint64_t os_pages = size_pages_ * kOsPagesPerWasmPage;
  auto table = std::make_shared<MemorySnapshot::PageTable>();
  MemorySnapshot::Page buffer;
  if (has_base_) {
    const MemorySnapshot::PageTable& base = *base_.table_;
    table->assign(base.begin(), base.begin() + static_cast<ptrdiff_t>(std::min<uint64_t>(base.size(), os_pages)));
    table->resize(os_pages, MemorySnapshot::ZeroPage());  // grown since the base and unchanged: zeros
    for (const uint64_t page : changed_pages_.members()) {
      if (page >= os_pages) continue;
      ReadInnerPage(page, buffer);
      (*table)[page] = MemorySnapshot::MakePage(buffer);
    }
  } else {
    table->reserve(os_pages);
    for (uint64_t page = 0; page < os_pages; ++page) {
      ReadInnerPage(page, buffer);
      table->push_back(MemorySnapshot::MakePage(buffer));
    }
  }
  base_ = MemorySnapshot(size_pages_, std::move(table));
  has_base_ = true;
  changed_pages_.Clear();
  return base_;
}

void SimStableMemory::Restore(const MemorySnapshot& snapshot) {
  if (in_message_) throw std::logic_error("Restore: a message is open; end it first");
  const uint64_t inner_pages = inner_.size_pages();
  if (inner_pages < snapshot.size_pages() && inner_.grow(snapshot.size_pages() - inner_pages) < 0) {
    throw std::runtime_error("Restore: the inner memory cannot grow to " + std::to_string(snapshot.size_pages()) +
                             " pages");
  }
  const uint64_t target_os_pages = snapshot.os_pages();
  auto wanted = [&](uint64_t page) {
    return page < target_os_pages ? snapshot.page(page) : ZeroPageBytes();
  };
  if (has_base_ && base_.table_ == snapshot.table_) {
    // Back to the base: only the pages changed since differ.
    for (const uint64_t page : changed_pages_.members()) inner_.write(page * kOsPageBytes, wanted(page));
  } else if (has_base_) {
    // Pages at or beyond both sizes that did not change are zeros and stay zeros; below, pages the snapshot
    // shares with the base need no write.
    const uint64_t scan_pages = std::max(target_os_pages, base_.os_pages());
    for (uint64_t page = 0; page < scan_pages; ++page) {
      if (!KnownEqual(page, snapshot)) inner_.write(page * kOsPageBytes, wanted(page));
    }
    for (const uint64_t page : changed_pages_.members()) {
      if (page >= scan_pages) inner_.write(page * kOsPageBytes, ZeroPageBytes());
    }
  } else {
    // No knowledge: write every page of the snapshot and zero the rest of the logical memory (beyond the
    // logical size the inner memory is zeros already).
    const uint64_t scan_pages = std::max(target_os_pages, size_pages_ * kOsPagesPerWasmPage);
    for (uint64_t page = 0; page < scan_pages; ++page) inner_.write(page * kOsPageBytes, wanted(page));
  }
  size_pages_ = snapshot.size_pages();
  frozen_ = false;
  base_ = snapshot;
  has_base_ = true;
  changed_pages_.Clear();
}

// --- Identity ---

uint64_t SimStableMemory::Digest() const {
  ImageDigest digest(size_bytes());
  std::vector<uint8_t> chunk(kWasmPageBytes);
  for (uint64_t offset = 0; offset < size_bytes(); offset += kWasmPageBytes) {
    inner_.read(offset, chunk);
    digest.Update(chunk);
  }
  return digest.Finish();
}

std::vector<uint8_t> SimStableMemory::Image() const {
  std::vector<uint8_t> image(size_bytes());
  if (!image.empty()) inner_.read(0, image);
  return image;
}

bool SimStableMemory::Matches(const MemorySnapshot& snapshot) const {
  if (snapshot.size_pages() != size_pages_) return false;
  MemorySnapshot::Page buffer;
  for (uint64_t page = 0; page < snapshot.os_pages(); ++page) {
    if (KnownEqual(page, snapshot)) continue;
    ReadInnerPage(page, buffer);
    if (std::memcmp(buffer.data(), snapshot.page(page).data(), kOsPageBytes) != 0) return false;
  }
  return true;
}

}  // namespace stablevfs::sim
