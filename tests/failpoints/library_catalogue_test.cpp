// lib/'s failpoint catalogue: the permanent list of library sites, and its agreement with the source.
//
// Goal: scenario files name these sites, so the list must not drift: no site renamed or dropped, no site
// used in lib/ without a catalogue entry (or `stablevfs failpoints` and coverage reports would not show it),
// and every entry must accept exactly error, trap and crash. Method: compare LibraryFailpoints() with the
// names written out here; check each entry's fields and that the spec parser accepts and rejects the right
// actions for it; and scan every source file under lib/ for STABLEVFS_FAILPOINT* sites, requiring each name
// used there to be catalogued.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "failpoints/catalogue.h"
#include "failpoints/spec.h"
#include "lib/core/failpoint_catalogue.h"

namespace stablevfs {
namespace {

// The failpoint names used by STABLEVFS_FAILPOINT, _RETURN and _EVAL sites in `source`, in order: each
// macro name, optional blanks, '(', optional blanks, then a string literal. (Hand-written rather than
// std::regex, whose libstdc++ 12 headers trip -Wmaybe-uninitialized under the sanitizer build.)
std::vector<std::string> SiteNamesIn(const std::string& source) {
  static constexpr std::string_view kMacro = "STABLEVFS_FAILPOINT";
  const auto skip_blanks = [&source](size_t pos) {
    while (pos < source.size() && (source[pos] == ' ' || source[pos] == '\t' || source[pos] == '\n')) ++pos;
    return pos;
  };
  std::vector<std::string> names;
  for (size_t pos = source.find(kMacro); pos != std::string::npos; pos = source.find(kMacro, pos)) {
    pos += kMacro.size();
    for (std::string_view suffix : {"_RETURN", "_EVAL"}) {
      if (source.compare(pos, suffix.size(), suffix) == 0) {
        pos += suffix.size();
        break;
      }
    }
    pos = skip_blanks(pos);
    if (pos >= source.size() || source[pos] != '(') continue;
    pos = skip_blanks(pos + 1);
    if (pos >= source.size() || source[pos] != '"') continue;
    const size_t end = source.find('"', pos + 1);
    if (end == std::string::npos) break;
    names.push_back(source.substr(pos + 1, end - pos - 1));
    pos = end + 1;
  }
  return names;
}

TEST(LibraryCatalogueTest, ListsExactlyThePermanentLibrarySites) {
  std::vector<std::string> names;
  for (const fp::SiteInfo& site : LibraryFailpoints()) names.emplace_back(site.name);
  EXPECT_EQ(names,
            (std::vector<std::string>{"overlay.write", "overlay.truncate", "commit.capacity", "commit.page_write",
                                      "commit.page_table_write", "commit.superblock_publish", "memory.grow",
                                      "sqlite.step", "update.closure", "migrate.apply", "import.chunk", "import.finish",
                                      "checksum.refresh_chunk", "compact.copy", "compact.publish",
                                      "commit.page_write_in_place", "commit.superblock_store"}));
}

TEST(LibraryCatalogueTest, EveryEntryIsCompleteAndTakesErrorTrapCrash) {
  for (const fp::SiteInfo& site : LibraryFailpoints()) {
    EXPECT_TRUE(fp::IsValidSiteName(site.name)) << site.name;
    EXPECT_EQ(site.layer.substr(0, 4), "lib/") << site.name;
    EXPECT_FALSE(site.simulates.empty()) << site.name;
    EXPECT_EQ(site.actions, fp::kLibraryActions) << site.name;
  }
  // memory.write belongs to the harness's stable-memory decorator, which registers it itself.
  for (const fp::SiteInfo& site : LibraryFailpoints()) EXPECT_NE(site.name, "memory.write");
}

TEST(LibraryCatalogueTest, RegistersAndChecksSpecs) {
  fp::Catalogue catalogue;
  catalogue.Register(LibraryFailpoints());
  catalogue.Register(LibraryFailpoints());  // start-up code may run twice
  EXPECT_EQ(catalogue.size(), LibraryFailpoints().size());
  for (const fp::SiteInfo& site : LibraryFailpoints()) {
    const std::string name(site.name);
    fp::Spec spec;
    for (const char* action : {"off", "error", "trap", "crash"}) {
      EXPECT_TRUE(fp::ParseSpec(name + "=" + action, &spec, &catalogue).ok()) << name << " " << action;
    }
    for (const char* action : {"torn", "lost", "misdirect", "bitflip"}) {
      const fp::SpecStatus status = fp::ParseSpec(name + "=" + action, &spec, &catalogue);
      EXPECT_NE(status.message().find("does not apply to failpoint '" + name + "'"), std::string::npos)
          << status.message();
    }
  }
}

TEST(LibraryCatalogueTest, SourceScanFindsEveryMacroForm) {
  // The scan below is only as good as this pattern: show that it sees all three forms.
  EXPECT_EQ(SiteNamesIn("STABLEVFS_FAILPOINT(\"a.b\");\n  STABLEVFS_FAILPOINT_RETURN( \"c\", -1);\n"
                        "auto x = STABLEVFS_FAILPOINT_EVAL(\"d_e\"); // STABLEVFS_FAILPOINT in a comment, and "
                        "STABLEVFS_FAILPOINT_ENABLED"),
            (std::vector<std::string>{"a.b", "c", "d_e"}));
}

TEST(LibraryCatalogueTest, EverySiteUsedInLibIsCatalogued) {
  std::set<std::string> catalogued;
  for (const fp::SiteInfo& site : LibraryFailpoints()) catalogued.emplace(site.name);
  const std::filesystem::path lib = std::filesystem::path(STABLEVFS_SOURCE_DIR) / "lib";
  ASSERT_TRUE(std::filesystem::is_directory(lib)) << lib;
  int files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(lib)) {
    const std::string extension = entry.path().extension().string();
    if (!entry.is_regular_file() || (extension != ".cpp" && extension != ".h")) continue;
    ++files;
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    for (const std::string& name : SiteNamesIn(text.str())) {
      EXPECT_EQ(catalogued.count(name), 1u)
          << entry.path() << " uses failpoint '" << name << "', which is not in lib/core/failpoint_catalogue.cpp";
    }
  }
  EXPECT_GT(files, 0);  // the scan really looked at something
}

}  // namespace
}  // namespace stablevfs
