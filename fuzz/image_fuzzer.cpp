// Fuzz target: the image reader behind fsck, inspect and extract, for every registered layout.
//
// The input is an image file. It goes through what the image tools do with a file (harness/cli/image_file.h:
// the MemoryManager check, locating memory 120, the independent checker of the layout its superblock names,
// the report lines and JSON, the memory map and its SVG), once as a raw virtual memory and once as a stable
// memory dump, and through the library's own reader (MemoryManager::Load, Layout::Open, Validate, ReadPage)
// on the same bytes. Findings: a crash, a sanitizer report, an exception the tools do not expect, and the
// library accepting what the checker calls damaged (or reading a page other than the checker resolves it);
// the last two abort with a message naming the disagreement.
//
// Inputs that are not whole 64 KiB pages are checked as they are (the too-small and image-size paths) and
// then zero-padded to whole pages, as a stable memory always is, for everything else.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "harness/check/byte_source.h"
#include "harness/check/checker_registry.h"
#include "harness/check/problem.h"
#include "harness/cli/image_file.h"
#include "harness/cli/image_report.h"
#include "harness/cli/memory_svg.h"
#include "lib/layout/layout.h"
#include "lib/memory/heap_stable_memory.h"
#include "lib/memory/memory_manager.h"

namespace stablevfs {
namespace {

// Logical pages compared page by page with the checker's mapping; more would only slow the fuzzer down.
constexpr uint64_t kMaxPagesCompared = 64;

[[noreturn]] void Finding(const std::string& what) {
  std::fprintf(stderr, "image_fuzzer finding: %s\n", what.c_str());
  std::fflush(stderr);
  std::abort();
}

// Everything fsck, inspect and extract print about an image, built and thrown away.
void RenderReports(const cli::CheckedImage& image) {
  std::string sink = cli::ImageSummaryLine(image) + cli::MemoryList(image) + cli::ImageJsonMembers(image) +
                     cli::ManagerJson(image) + image.TargetHint();
  for (const cli::LocatedProblem& p : image.Problems()) sink += cli::FormatLocatedProblem(p);
  sink += cli::ProblemsJson(image.Problems());
  if (!image.layout_checked()) return;
  const check::LayoutReport& layout = image.layout();
  sink += cli::SuperblockJson(layout) + cli::SpaceJson(layout.space);
  const std::vector<cli::Region> regions = cli::ClassifyMemory(image.memory(), layout);
  cli::SvgOptions options;
  options.title = "fuzz";
  for (const check::Problem& p : layout.problems) options.problems.emplace_back(p.offset_bytes, p.message);
  if (!image.target().raw) options.file_offset = [&image](uint64_t offset) { return image.FileOffset(offset); };
  sink += cli::RenderMemorySvg(regions, image.memory().size_bytes(), options);
  if (sink.empty()) Finding("the reports of an image are empty");
}

// Negative controls for the agreement checks below, so a test can prove they fire (fuzz/CMakeLists.txt):
// STABLEVFS_FUZZ_CONTROL=checker-rejects pretends the checker found a problem in every image, and
// =mapping-shifted pretends it maps every page one byte further on. On a clean image the library opens, each
// must end in a finding. Unset (as under libFuzzer and in every other test) they change nothing.
bool Control(std::string_view name) {
  const char* control = std::getenv("STABLEVFS_FUZZ_CONTROL");
  return control != nullptr && name == control;
}

bool AllZero(std::span<const uint8_t> bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](uint8_t b) { return b == 0; });
}

// The library's reader on `memory` (whose bytes the checker read as `bytes`, reported in `report`) must not
// accept what the checker calls damaged, and must read every logical page as the checker resolves it.
void RequireLibraryAgrees(StableMemory& memory, const check::ByteSource& bytes, const check::LayoutReport& report,
                          const char* scope) {
  // Open formats an empty or all-zero memory (not damage, and the checker has no superblock to look at).
  if (memory.size_bytes() == 0 || AllZero(bytes.ReadVector(0, std::min<uint64_t>(bytes.size_bytes(), 65536)))) {
    return;
  }
  Result<std::unique_ptr<Layout>> opened = Layout::Open(memory);
  if (!opened.ok()) return;
  Layout& layout = *opened.value();
  if (!layout.Validate().ok()) return;
  if (!report.ok() || Control("checker-rejects")) {
    Finding(std::string(scope) + ": the library opens and validates an image the checker calls damaged:\n" +
            check::FormatProblems(report.problems));
  }
  const uint64_t pages = std::min(report.superblock.logical_pages(), kMaxPagesCompared);
  std::vector<uint8_t> got(kDbPageBytes);
  for (uint64_t page = 0; page < pages; ++page) {
    const Status read = layout.ReadPage(page, got);
    if (!read.ok()) Finding(std::string(scope) + ": ReadPage " + std::to_string(page) + ": " + read.ToString());
    const check::PageMapping* mapping = report.Find(page);
    const std::vector<uint8_t> want = mapping == nullptr ? std::vector<uint8_t>(kDbPageBytes)
                                                         : bytes.ReadVector(mapping->physical_offset +
                                                                                (Control("mapping-shifted") ? 1 : 0),
                                                                            kDbPageBytes);
    if (got != want) {
      Finding(std::string(scope) + ": the library reads logical page " + std::to_string(page) +
              " differently from the checker's mapping");
    }
  }
}

void CheckRaw(const std::vector<uint8_t>& image) {
  const cli::CheckedImage checked("fuzz.img", image, cli::ImageTarget{.raw = true});
  RenderReports(checked);
  HeapStableMemory memory;
  memory.Assign(image);
  RequireLibraryAgrees(memory, checked.memory(), checked.layout(), "raw memory");
}

void CheckManaged(const std::vector<uint8_t>& image) {
  const cli::CheckedImage checked("fuzz.img", image, cli::ImageTarget{});
  RenderReports(checked);
  HeapStableMemory whole;
  whole.Assign(image);
  Result<std::unique_ptr<MemoryManager>> manager = MemoryManager::Load(whole);
  if (!manager.ok() || !checked.layout_checked()) return;
  Result<VirtualMemory*> memory = manager.value()->Get(checked.target().memory_id);
  if (!memory.ok()) return;
  if (memory.value()->size_bytes() != checked.memory().size_bytes()) {
    Finding("memory 120: the library's MemoryManager gives it " + std::to_string(memory.value()->size_bytes()) +
            " bytes, the checker " + std::to_string(checked.memory().size_bytes()));
  }
  RequireLibraryAgrees(*memory.value(), checked.memory(), checked.layout(), "memory 120");
}

}  // namespace
}  // namespace stablevfs

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace stablevfs;
  const std::span<const uint8_t> input(data, size);
  const check::SpanSource as_given(input);
  (void)check::CheckImage(as_given);
  std::vector<uint8_t> image(input.begin(), input.end());
  image.resize(check::CeilDiv(image.size(), check::kWasmPageBytes) * check::kWasmPageBytes);
  CheckRaw(image);
  CheckManaged(image);
  return 0;
}
