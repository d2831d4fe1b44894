// The golden images (tests/golden): today's library opens yesterday's bytes, and the checker agrees with it.
//
// Goal: every builtin layout has a golden image, every image names a builtin layout, and for each image the
// library opens it (Db::Init, the layout detected from the bytes as a canister's post_upgrade would) as the
// layout its file name says and finds it intact; the independent checker (check::CheckImage) reports no problem
// and names the same layout; the logical file the checker resolves equals the one the library exports
// (Db::ExportChunk over db_size); and opening and reading the image leave its bytes as they were. The byte-for-
// byte comparison with what today's code writes is tests/cli/golden_test.sh's (it runs make_golden.sh).
// Method: the images are read from the source tree, which CMake names (STABLEVFS_GOLDEN_DIR), one test per
// layout (each builtin, and each layout an image's file name gives); negative controls damage a copy (the
// version field; one byte of a live page) and check that the library, the checker or the logical comparison
// notices.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "harness/check/byte_source.h"
#include "harness/check/checker_registry.h"
#include "harness/check/layout_report.h"
#include "harness/check/problem.h"
#include "lib/db/db.h"
#include "lib/layout/layout_registry.h"
#include "lib/memory/heap_stable_memory.h"

namespace stablevfs {
namespace {

const std::filesystem::path kGoldenDir = STABLEVFS_GOLDEN_DIR;
constexpr const char* kRegenerate = "tests/golden/make_golden.sh";

std::vector<std::string> BuiltinNames() {
  std::vector<std::string> names;
  for (const LayoutInfo* info : LayoutRegistry::Global().Builtins()) names.push_back(info->name);
  return names;
}

std::filesystem::path ImagePath(const std::string& layout) { return kGoldenDir / ("layout-" + layout + ".img"); }

std::vector<uint8_t> ReadBytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path.string());
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// What the library makes of an image: the layout it opened, its integrity check, and the logical file it
// exports. `error` is set (and the rest empty) when Db::Init refused the image.
struct LibraryView {
  std::string error;
  std::string layout;
  uint64_t db_size = 0;
  uint64_t last_tx_id = 0;
  std::string integrity;
  std::vector<uint8_t> logical;
};

// Opens a copy of `image` in a HeapStableMemory with the default options (the layout is detected from the
// bytes) and reads it; `after` receives the memory's bytes once the Db is closed.
LibraryView ReadWithLibrary(const std::vector<uint8_t>& image, std::vector<uint8_t>* after = nullptr) {
  LibraryView view;
  HeapStableMemory memory;
  memory.Assign(image);
  {
    Result<std::unique_ptr<Db>> db = Db::Init(memory);
    if (!db.ok()) {
      view.error = db.status().ToString();
    } else {
      Result<DbMeta> meta = (*db)->GetMeta();
      if (!meta.ok()) throw std::runtime_error("GetMeta: " + meta.status().ToString());
      view.layout = meta->layout;
      view.db_size = meta->superblock.db_size;
      view.last_tx_id = meta->superblock.last_tx_id;
      Result<std::string> integrity = (*db)->IntegrityCheck();
      view.integrity = integrity.ok() ? *integrity : "IntegrityCheck failed: " + integrity.status().ToString();
      Result<std::vector<uint8_t>> exported = (*db)->ExportChunk(0, view.db_size);
      if (!exported.ok()) throw std::runtime_error("ExportChunk: " + exported.status().ToString());
      view.logical = std::move(*exported);
    }
  }
  if (after != nullptr) *after = memory.bytes();
  return view;
}

// The layouts the tests run for: every builtin, and every layout a layout-L.img in the directory names (so an
// image without a builtin layout gets a failing test of its own). Sorted, without duplicates.
std::vector<std::string> LayoutsToTest() {
  std::vector<std::string> layouts = BuiltinNames();
  std::error_code error;
  for (const std::filesystem::directory_entry& entry : std::filesystem::directory_iterator(kGoldenDir, error)) {
    const std::string file = entry.path().filename().string();
    if (file.starts_with("layout-") && file.ends_with(".img")) layouts.push_back(file.substr(7, file.size() - 11));
  }
  std::sort(layouts.begin(), layouts.end());
  layouts.erase(std::unique(layouts.begin(), layouts.end()), layouts.end());
  return layouts;
}

class GoldenImageTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    path_ = ImagePath(GetParam());
    if (std::filesystem::is_regular_file(path_)) image_ = ReadBytes(path_);
  }

  // REQUIRES in a test that reads the image: it exists and is whole 64 KiB pages.
  void RequireImage() const {
    ASSERT_FALSE(image_.empty()) << path_.string() << " is missing or empty (see HasAnImage)";
    ASSERT_EQ(image_.size() % kWasmPageBytes, 0u) << path_.string() << " is not whole 64 KiB pages";
  }

  std::filesystem::path path_;
  std::vector<uint8_t> image_;
};

TEST_P(GoldenImageTest, HasAnImage) {
  EXPECT_TRUE(std::filesystem::is_regular_file(path_))
      << "layout " << GetParam() << " has no golden image: " << path_.string() << " is missing; make it with '"
      << kRegenerate << " " << GetParam() << "' and commit it (tests/golden/README.md)";
}

TEST_P(GoldenImageTest, IsABuiltinLayout) {
  const std::vector<std::string> builtins = BuiltinNames();
  EXPECT_NE(std::find(builtins.begin(), builtins.end(), GetParam()), builtins.end())
      << path_.filename().string() << " names layout " << GetParam() << ", which is not a builtin ("
      << LayoutRegistry::Global().Names() << "): remove the image with the layout";
}

TEST_P(GoldenImageTest, LibraryAndCheckerReadTheSameDatabase) {
  ASSERT_NO_FATAL_FAILURE(RequireImage());
  const std::string& layout = GetParam();

  // The independent checker, on the bytes as checked in.
  const check::SpanSource source(image_);
  const check::LayoutReport report = check::CheckImage(source);
  ASSERT_TRUE(report.decoded) << check::FormatReport(report);
  EXPECT_EQ(report.layout, layout) << "the checker reads layout-" << layout << ".img as another layout";
  EXPECT_TRUE(report.ok()) << check::FormatReport(report);
  const std::vector<uint8_t> resolved = check::ResolveLogicalImage(source, report);

  // The library, on a copy.
  std::vector<uint8_t> after;
  const LibraryView library = ReadWithLibrary(image_, &after);
  ASSERT_EQ(library.error, "") << "the library refuses layout-" << layout << ".img";
  EXPECT_EQ(library.layout, layout);
  EXPECT_EQ(library.integrity, "ok");
  EXPECT_EQ(library.db_size, report.superblock.db_size);
  EXPECT_EQ(library.last_tx_id, report.superblock.last_tx_id);
  EXPECT_GT(library.db_size, 0u);
  ASSERT_EQ(library.logical.size(), library.db_size);

  const std::vector<check::Problem> differences = check::CompareLogical(library.logical, resolved);
  EXPECT_TRUE(differences.empty()) << "the library exports and the checker resolves different files: "
                                   << (differences.empty() ? "" : differences.front().message);
  EXPECT_TRUE(after == image_) << "opening and reading layout-" << layout << ".img changed its bytes";
}

// A damaged version field (offset 8, where every layout stores its version): neither reader takes the image.
TEST_P(GoldenImageTest, NegativeControlDamagedVersionIsRefused) {
  ASSERT_NO_FATAL_FAILURE(RequireImage());
  std::vector<uint8_t> damaged = image_;
  damaged[8] ^= 0x40;
  const check::LayoutReport report = check::CheckImage(check::SpanSource(damaged));
  EXPECT_FALSE(report.ok());
  EXPECT_TRUE(report.Has(check::ProblemKind::kBadVersion)) << check::FormatReport(report);
  EXPECT_NE(ReadWithLibrary(damaged).error, "") << "the library opened an image with a damaged version";
}

// One byte of a live page changed: the checker has no page checksum to notice, but the logical comparison
// above does, at that page's offset in the file.
TEST_P(GoldenImageTest, NegativeControlChangedPageIsADifferentLogicalFile) {
  ASSERT_NO_FATAL_FAILURE(RequireImage());
  const check::SpanSource source(image_);
  const check::LayoutReport report = check::CheckImage(source);
  ASSERT_TRUE(report.decoded);
  ASSERT_FALSE(report.mappings.empty());
  const check::PageMapping& last = report.mappings.back();
  constexpr uint64_t kByteInPage = 100;
  ASSERT_LT(last.logical_page * check::kPageBytes + kByteInPage, report.superblock.db_size);

  std::vector<uint8_t> damaged = image_;
  damaged[last.physical_offset + kByteInPage] ^= 0x01;
  const check::SpanSource damaged_source(damaged);
  const check::LayoutReport damaged_report = check::CheckImage(damaged_source);
  ASSERT_TRUE(damaged_report.decoded);

  const LibraryView library = ReadWithLibrary(image_);
  const std::vector<check::Problem> differences =
      check::CompareLogical(library.logical, check::ResolveLogicalImage(damaged_source, damaged_report));
  ASSERT_EQ(differences.size(), 1u);
  EXPECT_EQ(differences.front().offset_bytes, last.logical_page * check::kPageBytes + kByteInPage);
}

// The prefix is lowercase so that `ctest -R golden` selects these tests with cli_golden_test.
INSTANTIATE_TEST_SUITE_P(golden, GoldenImageTest, ::testing::ValuesIn(LayoutsToTest()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = "layout";
                           for (const char c : info.param) {
                             name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
                           }
                           return name;
                         });

}  // namespace
}  // namespace stablevfs
