// Upgrade equivalence: upgrades inserted anywhere in a run change nothing the database shows.
//
// Goal: an upgrade drops all heap state (MemoryManager, Db, SQLite's caches) and rebuilds it from stable memory,
// so inserting upgrades between the ops of a run must not change what any op returns, nor the data and meta at
// the end. A difference means some state lived only on the heap: a cache that outlived its truth, a counter
// not persisted, a free-space map rebuilt differently in a way that shows. Method: a rapidcheck property over
// cases of the no-fault suite (budget ops off, since a cold heap legitimately costs a different number of
// instructions) with `upgrade` ops inserted before about a quarter of the ops (at least one); the same list
// without its upgrades runs on a second Session with the same seed. Both runs must be judged clean; every op
// of one must end like its counterpart (outcome and detail, which holds row counts and error texts, checksums
// aside); at the end
// the logical file (but for the header's change counter, see IsChangeCounter), the canonical dump of the
// decoded image and the superblock meta (GetMeta) must be equal.
// Shrinking removes chunks of the list (upgrades or ops), the seed kept.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <sstream>

#include "harness/model/canonical_dump.h"
#include "harness/ops/op_text.h"
#include "properties/support/property_case.h"

namespace stablevfs::properties {
namespace {

SuiteConfig Suite() {
  SuiteConfig config = NoFaultSuite();
  config.name = "upgrade";
  config.weights = "budget=0,upgrade=0";  // upgrades are inserted below, where the test decides
  config.length_max = 40;
  return config;
}

// A list of ops with upgrades in it, and the seed its Sessions run with.
struct UpgradeCase {
  uint64_t seed = 0;
  std::vector<ops::Op> ops;
};

void showValue(const UpgradeCase& value, std::ostream& os) {
  os << "\nseed " << value.seed << "\n";
  for (const ops::Op& op : value.ops) os << ops::ToPhysicalLines(ops::PrintOp(op)) << "\n";
}

rc::Gen<UpgradeCase> GenUpgradeCase(const SuiteConfig& config) {
  const rc::Gen<UpgradeCase> built = [config](const rc::Random& random, int size) {
    rc::Random r = random;
    UpgradeCase value;
    value.seed = r.next();
    const CaseOps base = BuildCase(config, value.seed, LengthForSize(config, size));
    ops::Random draw(ops::MixSeed(value.seed ^ 7));
    const uint64_t forced = draw.Below(base.ops.size() + 1);  // at least one upgrade, somewhere
    for (size_t i = 0; i <= base.ops.size(); ++i) {
      if (i == forced || draw.Percent(25)) value.ops.push_back(ops::UpgradeOp{});
      if (i < base.ops.size()) value.ops.push_back(base.ops[i]);
    }
    return rc::shrinkable::just(std::move(value));
  };
  return rc::gen::shrink(built, [](UpgradeCase value) {
    return rc::seq::map(rc::shrink::removeChunks(value.ops), [seed = value.seed](std::vector<ops::Op> ops) {
      return UpgradeCase{seed, std::move(ops)};
    });
  });
}

// What a run shows at its end.
struct RunView {
  std::vector<ops::StepRecord> records;  // of the ops that are not upgrades
  std::string scenario;                  // the run, for the log
  std::vector<uint8_t> logical;          // the page model's bytes (the judge checked the image against them)
  model::CanonicalDump dump;             // of the decoded image
  std::string dump_error;
  Meta meta;
  std::string meta_error;
  bool clean = true;
};

RunView Run(const SuiteConfig& config, uint64_t seed, const std::vector<ops::Op>& list) {
  RunView view;
  SessionSut sut(config, seed);
  for (const ops::Op& op : list) {
    const ops::StepRecord& record = sut.Run(op);
    view.clean = view.clean && record.ok();
    if (ops::KindOf(op) != ops::OpKind::kUpgrade) view.records.push_back(record);
  }
  view.scenario = sut.Scenario();
  view.logical = sut.session().page_model().bytes();
  const auto decoded = sut.session().judge().Decode(sut.session().canister().memory().Snapshot(), /*full=*/true);
  if (decoded->resolved) {
    try {
      view.dump = model::DumpDatabase(decoded->ImageDb(), sut.session().judge().dump_options());
    } catch (const std::exception& e) {
      view.dump_error = e.what();
    }
  } else {
    view.dump_error = "the image does not resolve: " + decoded->resolve_error;
  }
  if (Db* db = sut.session().canister().db()) {
    Result<DbMeta> meta = db->GetMeta();
    if (meta.ok()) {
      view.meta = meta->superblock;
    } else {
      view.meta_error = meta.status().ToString();
    }
  } else {
    view.meta_error = "no database";
  }
  return view;
}

std::string MetaText(const Meta& m) {
  std::ostringstream os;
  os << "version=" << m.version << " page_size=" << m.page_size << " db_size=" << m.db_size
     << " schema_version=" << m.schema_version << " last_tx_id=" << m.last_tx_id << " flags=" << m.flags
     << " checksum=" << m.checksum << " refresh_offset=" << m.checksum_refresh_offset
     << " refresh_tx_id=" << m.checksum_refresh_tx_id << " layout_version=" << m.layout_version;
  return os.str();
}

// The meta a database shows: everything but where the layout placed its structures (an upgrade may rebuild the
// free-space state, and a different but valid placement is not a difference the database shows) and the
// checksums, which hash the whole file, change counter included (IsChangeCounter; the judge checks every
// stored checksum against the page model's bytes in both runs).
Meta Shown(Meta m) {
  m.db_base_offset = 0;
  m.page_table_offset = 0;
  m.page_count = 0;
  m.checksum = 0;
  m.checksum_refresh_hash = 0;
  m.import_expected_checksum = 0;
  return m;
}

// A step's detail with every number of ten or more digits replaced by '#': those are checksums (an import's
// expected and actual one), which hash the change counter too.
std::string Normalized(const std::string& detail) {
  std::string out;
  for (size_t i = 0; i < detail.size();) {
    size_t end = i;
    while (end < detail.size() && detail[end] >= '0' && detail[end] <= '9') ++end;
    if (end - i >= 10) {
      out += '#';
      i = end;
    } else if (end > i) {
      out.append(detail, i, end - i);
      i = end;
    } else {
      out += detail[i++];
    }
  }
  return out;
}

// The database header's file change counter (offsets 24..27) and version-valid-for number (92..95). SQLite
// bumps them in the first write transaction of a connection that holds its lock exclusively, not in every
// one, so a new connection (after an upgrade) counts one more. Nothing reads them back through SQL, and the
// judge already checks every image against exactly what SQLite wrote; here they are left out.
bool IsChangeCounter(size_t offset) { return (offset >= 24 && offset < 28) || (offset >= 92 && offset < 96); }

// "" when equal (the change counter aside); otherwise the sizes or the first differing offsets (at most 8).
std::string LogicalDifference(const std::vector<uint8_t>& expected, const std::vector<uint8_t>& actual) {
  std::string out;
  if (expected.size() != actual.size()) {
    out = "sizes " + std::to_string(expected.size()) + " and " + std::to_string(actual.size()) + "; ";
  }
  int shown = 0;
  for (size_t i = 0; i < std::min(expected.size(), actual.size()) && shown < 8; ++i) {
    if (expected[i] == actual[i] || IsChangeCounter(i)) continue;
    out += "@" + std::to_string(i) + " " + std::to_string(expected[i]) + "->" + std::to_string(actual[i]) + " ";
    ++shown;
  }
  return out;
}

RC_GTEST_PROP(UpgradeEquivalence, UpgradesAnywhereChangeNothing, ()) {
  const SuiteConfig config = Suite();
  const UpgradeCase value = *GenUpgradeCase(config);
  std::vector<ops::Op> without;
  for (const ops::Op& op : value.ops) {
    if (ops::KindOf(op) != ops::OpKind::kUpgrade) without.push_back(op);
  }
  // Marks the property failed when an assertion below throws, so that rapidcheck's shrink runs print nothing.
  static bool failed = false;
  struct FailureMark {
    bool passed = false;
    ~FailureMark() { failed = failed || !passed; }
  } mark;
  const RunView with_upgrades = Run(config, value.seed, value.ops);
  const RunView plain = Run(config, value.seed, without);
  RC_LOG() << "with upgrades:\n" << with_upgrades.scenario << "\nwithout:\n" << plain.scenario;
  RC_ASSERT(with_upgrades.clean);
  RC_ASSERT(plain.clean);

  RC_ASSERT(with_upgrades.records.size() == plain.records.size());
  for (size_t i = 0; i < plain.records.size(); ++i) {
    RC_LOG() << "op " << i << ": " << with_upgrades.records[i].ToString() << "   vs " << plain.records[i].ToString();
    RC_ASSERT(with_upgrades.records[i].outcome == plain.records[i].outcome);
    RC_ASSERT(Normalized(with_upgrades.records[i].detail) == Normalized(plain.records[i].detail));
  }
  const std::string logical_difference = LogicalDifference(plain.logical, with_upgrades.logical);
  RC_LOG() << "logical file difference: " << (logical_difference.empty() ? "none" : logical_difference);
  RC_ASSERT(logical_difference.empty());
  RC_ASSERT(with_upgrades.dump_error == plain.dump_error);
  const std::optional<std::string> difference = model::DescribeDifference(plain.dump, with_upgrades.dump);
  RC_LOG() << "dump difference: " << difference.value_or("none");
  RC_ASSERT(!difference.has_value());
  RC_LOG() << "meta with upgrades: " << MetaText(with_upgrades.meta) << "\nmeta without:       " << MetaText(plain.meta);
  RC_ASSERT(with_upgrades.meta_error == plain.meta_error);
  RC_ASSERT(Shown(with_upgrades.meta) == Shown(plain.meta));

  mark.passed = true;
  if (failed) return;
  const size_t upgrades = value.ops.size() - without.size();
  std::cout << "[upgrade] seed=" << value.seed << " ops=" << without.size() << " upgrades=" << upgrades
            << " db_size=" << plain.meta.db_size << " last_tx_id=" << plain.meta.last_tx_id << "\n";
}

}  // namespace
}  // namespace stablevfs::properties
