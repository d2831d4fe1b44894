// stablevfs sql IMAGE [SQL...]: create or open an image file and run SQL on it through the library, the way a
// canister would: each statement is one update message (Db::Update: BEGIN IMMEDIATE, the statement, COMMIT,
// publish). Results print like the sqlite3 shell's. The image is saved atomically, and only when something
// was created or committed; a failing statement stops the run and leaves the image as of the last commit.
//
// The memory stack is a canister's: the file's bytes in a HeapStableMemory, under a SimStableMemory that
// gives each statement IC message semantics (a trap or an aborting failpoint rolls the statement's writes
// back exactly), then the MemoryManager and the VirtualMemory of --memory-id (or, with --raw, the Db directly
// on the decorator).
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <iterator>
#include <optional>

#include "failpoints/registry.h"
#include "harness/cli/args.h"
#include "harness/cli/commands.h"
#include "harness/cli/failpoints_environment.h"
#include "harness/cli/hits_file.h"
#include "harness/cli/image_file.h"
#include "harness/cli/image_report.h"
#include "harness/cli/layout_option.h"
#include "harness/cli/output_path.h"
#include "harness/cli/sql_text.h"
#include "harness/cli/sqlite_header.h"
#include "harness/ops/catalogue_setup.h"
#include "harness/sim/sim_stable_memory.h"
#include "lib/core/trap.h"
#include "lib/db/auto_vacuum.h"
#include "lib/db/db.h"
#include "lib/memory/heap_stable_memory.h"
#include "lib/memory/memory_manager.h"

namespace stablevfs::cli {
namespace {

constexpr const char* kUsage =
    "IMAGE [SQL...] [--memory-id N | --raw] [--layout NAME] [--auto-vacuum MODE] [--mode column|list]\n"
    "       [--null TEXT] [--bucket-pages N] [--failpoints SPEC] [--hits FILE] [--force]";

constexpr const char* kDescription =
    "Runs SQL on the database in an image file, through the library (lib/db), as a canister would.\n"
    "IMAGE is created when it does not exist: a stable memory with a MemoryManager and an empty database\n"
    "on --memory-id (default 120), or with --raw a bare virtual memory holding only the database. An\n"
    "existing IMAGE must be such a file (a canister snapshot's stable_memory.bin is one). A new database\n"
    "gets the layout --layout names (default 6); an existing one keeps its own, detected from its\n"
    "superblock (naming another with --layout is refused). --auto-vacuum sets SQLite's auto_vacuum for\n"
    "a new database (none, full or incremental; default none); it can be chosen only before the first\n"
    "table exists and outside a transaction, which no statement here is, so it is an option: with full,\n"
    "a commit that frees pages truncates the file; with incremental, 'PRAGMA incremental_vacuum' does.\n"
    "\n"
    "The SQL comes from the arguments (each may hold several statements) or, when there are none, from\n"
    "standard input. Statements are split as the sqlite3 shell splits them (sqlite3_complete), and each\n"
    "runs as one update: BEGIN IMMEDIATE, the statement, COMMIT, publish to stable memory. So BEGIN,\n"
    "COMMIT, ROLLBACK, SAVEPOINT and RELEASE are refused before anything runs. Rows print like\n"
    "'sqlite3 -header -column' (--mode list: like 'sqlite3 -header -list', '|' between values); NULL\n"
    "prints as --null (default: nothing, as in the shell), reals as the shell prints them, blobs as\n"
    "x'hex'. A summary goes to standard error.\n"
    "\n"
    "The first failing statement stops the run: its error and text are printed (with its line) and the\n"
    "exit code is 1; the statements before it stay committed. IMAGE is written atomically (a temporary\n"
    "file renamed into place) and only when it was created or a statement committed. A file that is not\n"
    "an image, or whose MemoryManager header or superblock the library refuses, is bad input (exit 2)\n"
    "and is left untouched.\n"
    "\n"
    "Before anything runs, an existing image is checked by the independent checker (harness/check, as\n"
    "'stablevfs fsck' does) and the SQLite header of its logical file is read. An image with a problem is\n"
    "refused (exit 2, the first problem with its offset; the file is not changed), whatever the statements:\n"
    "a write would build on damage, and the library's view of a damaged image is not what a reader should\n"
    "trust either (read one with inspect, or extract --salvage). --force runs the statements anyway, the\n"
    "problems printed as a warning. An image larger than half of this machine's memory is refused (exit 2):\n"
    "sql holds the whole image in memory.\n"
    "\n"
    "--failpoints SPEC arms failpoints (see 'stablevfs failpoints') for the statements, e.g.\n"
    "'commit.page_write=error': an error fails the statement, trap and crash roll it back as a trapped\n"
    "message. The failpoint hit counts of the run are written to the hits file that 'stablevfs\n"
    "failpoints' reads (.stablevfs/last-hits.json, or --hits FILE), as fuzz and replay do.\n"
    "STABLEVFS_FAILPOINTS, when set, is armed too: its entries and --failpoints' are merged, a site both\n"
    "name taking --failpoints' chain.";

// A statement that would end or nest the update's own transaction.
bool IsTransactionControl(const std::string& keyword) {
  return keyword == "BEGIN" || keyword == "COMMIT" || keyword == "END" || keyword == "ROLLBACK" ||
         keyword == "SAVEPOINT" || keyword == "RELEASE";
}

std::string Where(const SqlStatement& statement, size_t number) {
  return "statement " + std::to_string(number) + " (" + statement.source + ", line " + std::to_string(statement.line) +
         ")";
}

std::string CommandLine(int argc, char** argv, int first) {
  std::string line = "sql";
  for (int i = first; i < argc; ++i) line += std::string(" ") + argv[i];
  return line;
}

// What is wrong with an existing image before anything runs: the independent checker's problems, and the
// SQLite header of the logical file.
struct ImageDamage {
  std::vector<std::string> problems;         // formatted, with their offsets
  uint64_t problem_count = 0;                // problems.size() plus those the checker did not list
  std::optional<std::string> sqlite_header;  // what is wrong with the header, when the layout decoded
};

ImageDamage FindDamage(const std::string& path, std::span<const uint8_t> bytes, const ImageTarget& target) {
  ImageDamage out;
  const CheckedImage checked(path, bytes, target);
  // A memory that holds nothing yet is where sql creates a database: only the MemoryManager header counts.
  const bool empty_memory = !target.raw && checked.manager().decoded &&
                            checked.manager().header.memory_size_pages[target.memory_id] == 0;
  if (empty_memory) {
    for (const check::Problem& p : checked.manager().problems) {
      out.problems.push_back(FormatLocatedProblem({p, "stable memory", p.offset_bytes}));
    }
    out.problem_count = out.problems.size();
    return out;
  }
  for (const LocatedProblem& p : checked.Problems()) out.problems.push_back(FormatLocatedProblem(p));
  out.problem_count = out.problems.size() + checked.problems_suppressed();
  if (checked.layout_checked() && checked.layout().decoded && checked.layout().superblock.db_size > 0) {
    std::vector<uint8_t> page(check::kPageBytes);
    check::ReadLogicalPage(checked.memory(), checked.layout(), 0, page);
    out.sqlite_header = SqliteHeaderProblem(page, check::kPageBytes);
  }
  return out;
}

}  // namespace

int RunSql(int argc, char** argv, int first) {
  std::vector<OptionSpec> specs;
  AddImageTargetOptions(specs);
  specs.push_back({"mode", true, "MODE", "column (like sqlite3 -header -column) or list ('|' separated)", "column"});
  specs.push_back({"null", true, "TEXT", "how NULL prints", "empty"});
  specs.push_back({"bucket-pages", true, "N",
                   "MemoryManager bucket size in 64 KiB pages, for a new image only", "128"});
  specs.push_back({"failpoints", true, "SPEC", "arm failpoints for the statements, e.g. commit.page_write=error (merged with STABLEVFS_FAILPOINTS)", ""});
  specs.push_back({"hits", true, "FILE", "write the run's failpoint hit counts here", std::string(kDefaultHitsPath)});
  specs.push_back({"force", false, "", "run even when the independent checker finds problems in IMAGE", ""});
  specs.push_back({"auto-vacuum", true, "MODE", "SQLite's auto_vacuum for a new database: none, full or incremental",
                   "none"});
  AddLayoutOption(specs, /*allow_all=*/false, "the layout of a new database");
  const Args args("sql", specs, argc, argv, first);
  if (args.help()) {
    std::cout << args.HelpText(kUsage, kDescription);
    return kExitPass;
  }
  if (args.positional().empty()) throw UsageError("missing IMAGE (usage: stablevfs sql " + std::string(kUsage) + ")");
  const ImageTarget target = ImageTargetFromArgs(args);
  const std::string path = args.positional()[0];
  const std::string mode_text = args.get_or("mode", "column");
  if (mode_text != "column" && mode_text != "list") {
    throw UsageError("--mode: expected column or list, got '" + mode_text + "'");
  }
  const OutputMode mode = mode_text == "list" ? OutputMode::kList : OutputMode::kColumn;
  const std::string null_text = args.get_or("null", "");
  const LayoutInfo& layout = LayoutFromArgs(args);
  const std::string auto_vacuum_text = args.get_or("auto-vacuum", "none");
  AutoVacuum auto_vacuum = AutoVacuum::kNone;
  if (auto_vacuum_text == "full") {
    auto_vacuum = AutoVacuum::kFull;
  } else if (auto_vacuum_text == "incremental") {
    auto_vacuum = AutoVacuum::kIncremental;
  } else if (auto_vacuum_text != "none") {
    throw UsageError("--auto-vacuum: expected none, full or incremental, got '" + auto_vacuum_text + "'");
  }
  const uint64_t bucket_pages = args.get_u64("bucket-pages", MemoryManager::kDefaultBucketSizePages);
  if (bucket_pages == 0 || bucket_pages > 0xFFFF) throw UsageError("--bucket-pages: expected 1..65535");
  if (target.raw && args.has("bucket-pages")) {
    throw UsageError("--bucket-pages applies to a MemoryManager image; --raw has no MemoryManager");
  }
  const std::string hits_path = args.get_or("hits", std::string(kDefaultHitsPath));
  // --failpoints and STABLEVFS_FAILPOINTS, merged (failpoints_environment.h), checked before anything runs.
  const std::string failpoints = FaultsWithEnvironment(args.get_or("failpoints", ""), "--failpoints");
  CheckOutputPaths({HitsOutput(args, hits_path)}, {{"IMAGE", path}});

  // The statements, all of them split and screened before anything runs.
  std::vector<SqlStatement> statements;
  if (args.positional().size() > 1) {
    for (size_t i = 1; i < args.positional().size(); ++i) {
      std::vector<SqlStatement> part = SplitStatements(args.positional()[i], "argument " + std::to_string(i));
      statements.insert(statements.end(), std::make_move_iterator(part.begin()), std::make_move_iterator(part.end()));
    }
  } else {
    const std::string script((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    statements = SplitStatements(script, "stdin");
  }
  for (size_t i = 0; i < statements.size(); ++i) {
    const std::string keyword = FirstKeyword(statements[i].text);
    if (IsTransactionControl(keyword)) {
      throw UsageError(Where(statements[i], i + 1) + ": " + keyword +
                       ": each statement runs as its own update (BEGIN IMMEDIATE ... COMMIT around it), so "
                       "transaction control is not available; remove it (nothing was run)");
    }
  }

  // The image: load it, or start from an empty memory.
  const bool existed = PathExists(path);
  std::vector<uint8_t> bytes;
  std::string save_path = path;  // a symbolic link is followed, so saving replaces its target, not the link
  if (existed) {
    bytes = ReadImageFile(path);
    if (char* resolved = ::realpath(path.c_str(), nullptr)) {
      save_path = resolved;
      std::free(resolved);
    }
  } else {
    const size_t slash = path.find_last_of('/');
    const std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
    if (::access(dir.c_str(), W_OK) != 0) {
      throw UsageError(path + ": cannot create the image: directory " + dir + " does not exist or is not writable");
    }
  }
  const bool fresh = bytes.empty();  // a new (or zero-length) file: the MemoryManager and database get created
  if (!fresh && !target.raw && !(bytes.size() >= 3 && bytes[0] == 'M' && bytes[1] == 'G' && bytes[2] == 'R')) {
    const bool superblock = bytes.size() >= 8 && std::string(bytes.begin(), bytes.begin() + 8) == "ICSQLITE";
    throw UsageError(path + ": not a MemoryManager image (no \"MGR\" at offset 0)" +
                     (superblock ? std::string("; it starts with a database superblock: add --raw")
                              : std::string("; use --raw for a bare virtual memory")) +
                     "; the file was not changed");
  }
  // The independent checker's verdict on the image as found, reported once the library has had its say (so a
  // header the library refuses keeps the library's more specific message).
  const ImageDamage damage = fresh ? ImageDamage{} : FindDamage(path, bytes, target);
  HeapStableMemory raw;
  raw.Assign(std::move(bytes));
  sim::SimOptions sim_options;
  sim_options.cost_accounting = false;  // a command-line run is not bound by a message's instruction limit
  sim_options.record_journal = false;   // no power-loss simulation here
  sim::SimStableMemory memory(raw, sim_options);

  std::unique_ptr<MemoryManager> manager;
  StableMemory* db_memory = &memory;
  bool new_memory = false;  // the target memory was empty: a database gets created in it
  if (!target.raw) {
    Result<std::unique_ptr<MemoryManager>> opened =
        fresh ? MemoryManager::InitOrLoad(memory, static_cast<uint16_t>(bucket_pages)) : MemoryManager::Load(memory);
    if (!opened.ok()) {
      throw UsageError(path + ": the MemoryManager header is refused: " + opened.status().ToString() +
                       "; the file was not changed (run 'stablevfs fsck " + path + "' for every problem)");
    }
    manager = std::move(opened.value());
    if (!fresh && args.has("bucket-pages") && manager->bucket_size_pages() != bucket_pages) {
      std::cerr << "stablevfs sql: note: --bucket-pages applies to new images only; " << path << " keeps buckets of "
                << manager->bucket_size_pages() << " pages\n";
    }
    Result<VirtualMemory*> vm = manager->Get(target.memory_id);
    if (!vm.ok()) throw UsageError(path + ": " + vm.status().ToString());
    db_memory = vm.value();
  }
  new_memory = db_memory->size_pages() == 0;
  Db::Options db_options;
  db_options.layout = &layout;
  db_options.auto_vacuum = auto_vacuum;  // the Db applies it only while the file is empty
  Result<std::unique_ptr<Db>> opened_db = Db::Init(*db_memory, std::move(db_options));
  if (!opened_db.ok()) {
    throw UsageError(path + ": " + target.Describe() + " holds no database the library can open: " +
                     opened_db.status().ToString() + "; the file was not changed (run 'stablevfs fsck " + path +
                     (target.raw ? " --raw" : "") + "' for every problem)");
  }
  std::unique_ptr<Db> db = std::move(opened_db.value());
  std::string opened_layout = layout.name;  // the layout the database has (an existing one keeps its own)
  if (Result<DbMeta> meta = db->GetMeta(); meta.ok()) opened_layout = meta->layout;
  if (args.has("layout")) {
    Result<DbMeta> meta = db->GetMeta();
    if (meta.ok() && meta->layout != layout.name) {
      throw UsageError(path + ": " + target.Describe() + " holds a layout " + meta->layout +
                       " database, not layout " + layout.name +
                       "; an existing database keeps its layout (drop --layout; to change it, convert the image); "
                       "the file was not changed");
    }
  }
  if (args.has("auto-vacuum")) {
    // An existing file keeps the auto_vacuum it was created with (SQLite ignores the pragma once a table exists).
    Result<DbMeta> meta = db->GetMeta();
    if (meta.ok() && meta->superblock.db_size != 0) {
      std::cerr << "stablevfs sql: note: --auto-vacuum applies to new databases only; " << path
                << " keeps the auto_vacuum it was created with\n";
    }
  }
  if (!damage.problems.empty() || damage.sqlite_header) {
    const std::string what =
        damage.problems.empty()
            ? "the SQLite header of its logical file is damaged: " + *damage.sqlite_header
            : "the independent checker finds " + Count(damage.problem_count, "problem") + ", the first: " +
                  damage.problems.front();
    if (!args.has("force")) {
      throw UsageError(path + ": " + target.Describe() + ": " + what +
                       "; sql does not run on a damaged image: run 'stablevfs fsck " + path +
                       (target.raw ? std::string(" --raw")
                        : target.memory_id != check::mm::kDefaultSqliteMemoryId
                            ? " --memory-id " + std::to_string(target.memory_id)
                            : std::string()) +
                       "' for every problem, read it with inspect or extract --salvage, or pass --force to run "
                       "anyway (the file was not changed)");
    }
    std::cerr << "stablevfs sql: warning: --force: running on a damaged image: " << what << "\n";
  }
  if (new_memory && !fresh) {
    std::cerr << "stablevfs sql: note: " << target.Describe() << " of " << path
              << " was empty; a new database is created there if a statement commits\n";
  }

  // Failpoints apply to the statements only, not to opening the image.
  if (!failpoints.empty()) {
    const fp::SpecStatus armed = fp::Arm(failpoints);
    if (!armed.ok()) throw UsageError("--failpoints: " + armed.message());
  }

  auto last_tx_id = [&]() -> uint64_t {
    Result<DbMeta> meta = db->GetMeta();
    if (!meta.ok()) throw std::runtime_error("cannot read the superblock: " + meta.status().ToString());
    return meta->superblock.last_tx_id;
  };

  uint64_t committed_tx_id = last_tx_id();  // the image's last_tx_id as of its last commit
  size_t committed = 0;
  size_t run = 0;
  int exit_code = kExitPass;
  bool printed_rows = false;
  for (size_t i = 0; i < statements.size(); ++i) {
    const SqlStatement& statement = statements[i];
    const uint64_t tx_before = last_tx_id();
    Rows rows;
    Status status;
    std::string aborted;  // what ended the message, when a trap or an aborting failpoint did
    memory.BeginMessage(sim::MessageKind::kUpdate);
    try {
      status = db->Update([&](Connection& connection) -> Status {
        Result<Rows> result = connection.Query(statement.text);
        if (!result.ok()) return result.status();
        rows = std::move(result.value());
        return Status::Ok();
      });
    } catch (const fp::Abort& e) {
      aborted = std::string(fp::ActionName(e.action())) + " at failpoint " + e.site();
    } catch (const Trap& e) {
      aborted = std::string("trap: ") + e.what();
    }
    ++run;
    if (!aborted.empty()) {
      // As on the IC: the message's stable-memory changes are discarded and the heap state is dropped.
      db.reset();
      memory.TrapMessage();
      std::cerr << "stablevfs sql: " << Where(statement, i + 1) << " ended the message (" << aborted
                << "); its changes were rolled back:\n  " << statement.text << "\n";
      exit_code = kExitViolation;
      break;
    }
    memory.CommitMessage();
    if (!status.ok()) {
      std::cerr << "stablevfs sql: " << Where(statement, i + 1) << " failed: " << status.ToString() << "\n  " << statement.text
                << "\n";
      exit_code = kExitViolation;
      break;
    }
    const uint64_t tx_after = last_tx_id();
    if (tx_after != tx_before) {
      ++committed;
      committed_tx_id = tx_after;
    }
    const std::string text = FormatRows(rows, mode, null_text);
    if (!text.empty()) {
      if (printed_rows && mode == OutputMode::kColumn) std::cout << "\n";
      std::cout << text;
      printed_rows = true;
    }
  }
  std::cout.flush();

  db.reset();
  manager.reset();
  const bool save = fresh || committed > 0;
  if (save) {
    // The decorator's logical size is the image; the inner memory may hold zero pages a rolled-back grow left.
    const uint64_t size_bytes = memory.size_bytes();
    SaveFileAtomically(save_path, std::span<const uint8_t>(raw.bytes().data(), size_bytes));
  }
  // The counters are a by-product: failing to keep them must not turn a successful run into a failure.
  try {
    WriteHitsFile(hits_path, CommandLine(argc, argv, first), fp::Snapshot(), opened_layout);
  } catch (const std::exception& e) {
    std::cerr << "stablevfs sql: warning: hit counts not saved: " << e.what() << "\n";
  }

  std::cerr << "stablevfs sql: " << run << " of " << statements.size() << (statements.size() == 1 ? " statement" : " statements")
            << " run, " << committed << " committed (last_tx_id " << committed_tx_id << ")";
  if (save) {
    std::cerr << "; " << (existed ? "saved " : "created ") << path << " (" << memory.size_bytes() << " bytes)\n";
  } else {
    std::cerr << "; " << path << " unchanged\n";
  }
  return exit_code;
}

}  // namespace stablevfs::cli
