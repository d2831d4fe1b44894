// Judge: each judgement catches the damage it is there for, and tolerates what the specification allows.
//
// Goal: the judgement table must not be a rubber stamp. Each test plants one specific kind of damage behind the
// library's back (a byte changed in an active page, in orphan space, in the superblock; a memory that changed
// across a "trap"; a crash image that is neither old nor new; an error that touched the superblock) and checks
// that exactly the judgement responsible reports it, while orphan damage, which the layout allows, stays
// quiet. Method: a Session builds a real image; the damage is written through the simulated memory outside any
// message (such writes pass straight through); the next op, or a direct Judge call, is judged.
#include "harness/ops/judge.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "failpoints/registry.h"
#include "harness/ops/interpreter.h"
#include "harness/ops/op_text.h"

namespace stablevfs::ops {
namespace {

Op Parse(std::string_view line) { return ParseOp(line).value(); }

bool Has(const StepRecord& record, std::string_view property) {
  return std::any_of(record.violations.begin(), record.violations.end(),
                     [&](const Violation& v) { return v.property == property; });
}

class JudgeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    session_ = std::make_unique<Session>(SessionOptions{.seed = 21});
    ASSERT_TRUE(session_->Run(Parse("update CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB)")).ok());
    ASSERT_TRUE(session_->Run(Parse("update INSERT INTO t VALUES(1, zeroblob(20000))")).ok());
    ASSERT_TRUE(session_->Run(Parse("update UPDATE t SET v = x'0102' WHERE id = 1")).ok());
  }
  void TearDown() override {
    session_.reset();
    fp::ClearAll();
  }

  std::unique_ptr<DecodedState> Now() {
    return session_->judge().Decode(session_->canister().memory().Snapshot(), /*full=*/true);
  }
  // Flips every bit of the byte at virtual offset `offset` of the database memory, outside any message.
  void Damage(uint64_t virtual_offset) {
    std::unique_ptr<DecodedState> state = Now();
    ASSERT_NE(state->memory, nullptr);
    const uint64_t raw = state->memory->RawOffset(virtual_offset);
    uint8_t byte = 0;
    session_->canister().memory().read(raw, std::span<uint8_t>(&byte, 1));
    byte ^= 0xff;
    session_->canister().memory().write(raw, std::span<const uint8_t>(&byte, 1));
  }

  std::unique_ptr<Session> session_;
};

TEST_F(JudgeTest, CleanImageIsJudgedClean) {
  StepRecord r = session_->Run(Parse("query SELECT count(*) FROM t"));
  EXPECT_TRUE(r.ok()) << r.ToString();
}

TEST_F(JudgeTest, DamagedActivePageIsAnImageViolation) {
  std::unique_ptr<DecodedState> state = Now();
  const check::PageMapping* page = state->layout.Find(1);
  ASSERT_NE(page, nullptr);
  Damage(page->physical_offset + 100);
  StepRecord r = session_->Run(Parse("query SELECT count(*) FROM t"));
  EXPECT_TRUE(Has(r, property::kImage)) << r.ToString();
}

TEST_F(JudgeTest, DamagedOrphanSpaceIsAllowed) {
  std::unique_ptr<DecodedState> state = Now();
  // The first byte after the superblock region that no active extent covers: superseded pages live there.
  uint64_t orphan = check::kSuperblockRegionBytes;
  bool moved = true;
  while (moved) {
    moved = false;
    for (const check::Extent& e : state->layout.extents) {
      if (orphan >= e.offset_bytes && orphan < e.end_bytes()) {
        orphan = e.end_bytes();
        moved = true;
      }
    }
  }
  ASSERT_LT(orphan, state->source->size_bytes());
  Damage(orphan);
  StepRecord r = session_->Run(Parse("query SELECT count(*) FROM t"));
  EXPECT_TRUE(r.ok()) << r.ToString();
}

TEST_F(JudgeTest, DamagedSuperblockIsAnFsckViolation) {
  Damage(check::field::kSchemaVersion);  // covered by the meta checksum
  StepRecord r = session_->Run(Parse("query SELECT count(*) FROM t"));
  EXPECT_TRUE(Has(r, property::kFsck)) << r.ToString();
}

TEST_F(JudgeTest, MemoryChangedAcrossATrapIsATrapRollbackViolation) {
  sim::SimStableMemory& memory = session_->canister().memory();
  const sim::MemorySnapshot before = memory.Snapshot();
  std::vector<Violation> out;
  session_->judge().CheckTrapRollback(memory, before, &out);
  EXPECT_TRUE(out.empty());
  Damage(check::kSuperblockRegionBytes - 1);  // unused superblock-region byte
  session_->judge().CheckTrapRollback(memory, before, &out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].property, property::kTrapRollback);
}

TEST_F(JudgeTest, ErrorThatTouchedTheSuperblockIsAnActiveStateViolation) {
  std::unique_ptr<DecodedState> before = Now();
  std::vector<Violation> out;
  session_->judge().CheckActiveStateKept(*before, *Now(), &out);
  EXPECT_TRUE(out.empty());
  Damage(check::field::kChecksum);
  session_->judge().CheckActiveStateKept(*before, *Now(), &out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].property, property::kActiveState);
}

TEST_F(JudgeTest, CrashImageThatIsNeitherOldNorNewIsACrashAtomicityViolation) {
  model::PageModel page_model;
  page_model.OnWrite(0, std::vector<uint8_t>(16384, 7));
  page_model.Commit();
  page_model.OnWrite(0, std::vector<uint8_t>(16384, 8));  // pending: the new state
  DecodedState third;
  third.resolved = true;
  third.logical.assign(16384, 9);
  std::vector<Violation> out;
  EXPECT_EQ(session_->judge().SettlePageModel(Outcome::kCrashed, false, true, third, page_model, &out),
            CrashResolution::kNeither);
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(out[0].property, property::kCrashAtomicity);

  // The pending image is accepted only where the new state may persist.
  page_model.OnWrite(0, std::vector<uint8_t>(16384, 8));
  DecodedState fresh;
  fresh.resolved = true;
  fresh.logical.assign(16384, 8);
  out.clear();
  EXPECT_EQ(session_->judge().SettlePageModel(Outcome::kCrashed, false, false, fresh, page_model, &out),
            CrashResolution::kNeither);
  page_model.OnWrite(0, std::vector<uint8_t>(16384, 8));
  out.clear();
  EXPECT_EQ(session_->judge().SettlePageModel(Outcome::kCrashed, false, true, fresh, page_model, &out),
            CrashResolution::kNew);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(page_model.bytes(), fresh.logical);
}

TEST_F(JudgeTest, ChecksumMatchesAnIndependentFnv1a) {
  const uint8_t bytes[] = {'a'};
  EXPECT_EQ(Fnv1a64Of({}), 0xcbf29ce484222325ull);
  EXPECT_EQ(Fnv1a64Of(bytes), 0xaf63dc4c8601ec8cull);  // the published FNV-1a 64 test vector for "a"
  StepRecord r = session_->Run(Parse("checksum"));
  EXPECT_TRUE(r.ok()) << r.ToString();
}

// The judge memoizes what stock SQLite reads from a logical file (ImageFacts), keyed by the whole file. A stale
// answer would make the data judgement compare an old image with the model. Here the next state differs from
// the memoized one in one byte of a BLOB only (same file size, same row count), and a model of the old data
// must be told apart from it, while a decode of an unchanged memory reuses the memoized reads.
TEST_F(JudgeTest, MemoizedImageReadsAreNeverStale) {
  const Judge& judge = session_->judge();
  std::unique_ptr<DecodedState> old_state = Now();
  ASSERT_TRUE(old_state->resolved);
  ASSERT_NE(old_state->facts, nullptr);
  model::DataModel old_model;
  old_model.LoadImage(old_state->logical);
  std::vector<Violation> out;
  judge.CheckData(*old_state, old_model, &out);
  EXPECT_TRUE(out.empty()) << out.front().message;

  // The same memory decoded again: the same bytes, so the same memoized reads.
  std::unique_ptr<DecodedState> again = Now();
  EXPECT_EQ(again->facts, old_state->facts);

  ASSERT_TRUE(session_->Run(Parse("update UPDATE t SET v = x'0103' WHERE id = 1")).ok());
  std::unique_ptr<DecodedState> new_state = Now();
  ASSERT_TRUE(new_state->resolved);
  ASSERT_EQ(new_state->logical.size(), old_state->logical.size());
  EXPECT_NE(new_state->facts, old_state->facts);
  judge.CheckData(*new_state, old_model, &out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].property, property::kData);
  out.clear();
  judge.CheckData(*new_state, session_->data_model(), &out);
  EXPECT_TRUE(out.empty()) << out.front().message;

  // Damage planted outside any message (not through the library) changes the image too: the next decode must
  // not be answered from the memo of the state before.
  const check::PageMapping* page = new_state->layout.Find(1);
  ASSERT_NE(page, nullptr);
  Damage(page->physical_offset + 100);
  std::unique_ptr<DecodedState> damaged = Now();
  ASSERT_TRUE(damaged->resolved);
  EXPECT_NE(damaged->logical, new_state->logical);
  EXPECT_NE(damaged->facts, new_state->facts);
  EXPECT_TRUE(std::ranges::equal(damaged->facts->logical(), damaged->logical));
  // The entry's key is the buffer its own read-only connection reads: the memoized reads come from exactly
  // the damaged bytes, not from the state before.
  EXPECT_FALSE(std::ranges::equal(damaged->facts->logical(), new_state->logical));
}

// CheckData remembers its last comparison by the identities of the two dumps it compared. The same decoded
// image judged against a data model that changed in between (one value, same row count) must be compared
// afresh: the answer of the comparison before would hide the difference.
TEST_F(JudgeTest, MemoizedDataComparisonIsNeverStale) {
  const Judge& judge = session_->judge();
  std::unique_ptr<DecodedState> state = Now();
  ASSERT_TRUE(state->resolved);
  model::DataModel model;
  model.LoadImage(state->logical);
  std::vector<Violation> out;
  judge.CheckData(*state, model, &out);
  judge.CheckData(*state, model, &out);  // the same two dumps: answered from the memo, still clean
  EXPECT_TRUE(out.empty()) << out.front().message;

  ASSERT_TRUE(model.Execute("UPDATE t SET v = x'0109' WHERE id = 1").ok());
  judge.CheckData(*state, model, &out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].property, property::kData);
  out.clear();
  judge.CheckData(*state, model, &out);  // still different the second time
  EXPECT_EQ(out.size(), 1u);
  out.clear();

  model.LoadImage(state->logical);
  judge.CheckData(*state, model, &out);
  EXPECT_TRUE(out.empty()) << out.front().message;
}

// An ImageFacts entry's key is its connection's buffer, deserialized read-only from a private copy: it equals
// the bytes given, and the reads answered from it see those bytes.
TEST(ImageFactsTest, KeyIsTheReadOnlyConnectionsOwnBytes) {
  model::DataModel source;
  ASSERT_TRUE(source.Execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB); INSERT INTO t VALUES(1, x'0102')").ok());
  const std::vector<uint8_t> file = model::SerializeImage(source.handle());
  ImageFacts facts(file);
  EXPECT_TRUE(std::ranges::equal(facts.logical(), file));
  ASSERT_EQ(facts.ReadTables().tables.size(), 1u);
  EXPECT_EQ(facts.ReadTables().tables[0].rows.size(), 1u);
}

// Fnv1a64Memo answers from its last input only when the bytes are the same: a change of one byte (same size,
// same buffer) must be hashed afresh.
TEST(Fnv1a64MemoTest, NeverStale) {
  Fnv1a64Memo memo;
  std::vector<uint8_t> bytes(10000, 7);
  EXPECT_EQ(memo.Of(bytes), Fnv1a64Of(bytes));
  EXPECT_EQ(memo.Of(bytes), Fnv1a64Of(bytes));
  bytes[5000] = 8;  // the same buffer, changed in place
  EXPECT_EQ(memo.Of(bytes), Fnv1a64Of(bytes));
  bytes.pop_back();
  EXPECT_EQ(memo.Of(bytes), Fnv1a64Of(bytes));
  EXPECT_EQ(memo.Of({}), 0xcbf29ce484222325ull);
}

}  // namespace
}  // namespace stablevfs::ops
