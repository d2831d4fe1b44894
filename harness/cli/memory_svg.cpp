#include "harness/cli/memory_svg.h"

#include <algorithm>
#include <array>
#include <cstdio>

#include "harness/json/xml_text.h"

namespace stablevfs::cli {
namespace {

using check::ExtentKind;

// The granule in which unreached bytes are judged written (orphan) or not (unused): a page.
constexpr uint64_t kGranuleBytes = check::kPageBytes;

// Drawing geometry, in SVG user units (pixels).
constexpr int kMargin = 16;
constexpr int kCellWidth = 10;
constexpr int kRowHeight = 16;
constexpr int kCellHeight = 14;
constexpr int kCellsPerRow = 64;
constexpr int kLeftLabelWidth = 76;
constexpr int kRightLabelWidth = 112;
constexpr uint64_t kMaxRows = 256;
constexpr int kMaxListedProblems = 12;

struct Style {
  const char* fill;
  const char* label_fill;  // colour of text drawn on it
  int priority;            // lower wins when several kinds share a cell
};

// Indexed by RegionKind. Tables outrank pages so a 2 KiB segment table stays visible in a coarse cell.
constexpr std::array<Style, kRegionKindCount> kStyles = {{
    {"#1f3a93", "#ffffff", 2},  // superblock: dark blue
    {"#b7cdee", "#1f3a93", 5},  // superblock region: light blue
    {"#8e44ad", "#ffffff", 0},  // root table: purple
    {"#e67e22", "#ffffff", 1},  // segment table: orange
    {"#27ae60", "#ffffff", 3},  // live page: green
    {"#f1c40f", "#000000", 4},  // import staging: yellow
    {"#95a5a6", "#ffffff", 6},  // orphan: grey
    {"#f2f2f2", "#7f8c8d", 7},  // unused: near white
}};

const Style& StyleOf(RegionKind kind) { return kStyles[static_cast<size_t>(kind)]; }

// The SVG is XML: the same escaping as the JUnit report (harness/json/xml_text.h), so titles and labels that carry a file
// name with any bytes still make a valid document.
std::string Escape(std::string_view text) { return json::XmlEscape(std::string(text)); }

std::string HexText(uint64_t value) {
  char text[32];
  std::snprintf(text, sizeof text, "0x%llx", static_cast<unsigned long long>(value));
  return text;
}

// "152 B", "64 KiB", "1.5 MiB": compact sizes for the legend.
std::string ShortBytes(uint64_t value) {
  char text[32];
  if (value < 1024) {
    std::snprintf(text, sizeof text, "%llu B", static_cast<unsigned long long>(value));
  } else if (value < 1024 * 1024) {
    std::snprintf(text, sizeof text, value % 1024 == 0 ? "%.0f KiB" : "%.1f KiB", static_cast<double>(value) / 1024);
  } else if (value < 1024ull * 1024 * 1024) {
    std::snprintf(text, sizeof text, "%.1f MiB", static_cast<double>(value) / (1024.0 * 1024));
  } else {
    std::snprintf(text, sizeof text, "%.1f GiB", static_cast<double>(value) / (1024.0 * 1024 * 1024));
  }
  return text;
}

// Splits the unreached range [begin, end) into orphan and unused regions (see the header), appending them.
void ClassifyGap(const check::ByteSource& memory, uint64_t begin, uint64_t end, std::vector<Region>& out) {
  std::vector<uint8_t> buffer(kGranuleBytes);
  uint64_t at = begin;
  while (at < end) {
    const uint64_t piece_end = std::min(end, (at / kGranuleBytes + 1) * kGranuleBytes);
    const auto length = static_cast<size_t>(piece_end - at);
    memory.Read(at, std::span<uint8_t>(buffer.data(), length));
    const bool written = std::any_of(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(length),
                                     [](uint8_t b) { return b != 0; });
    const RegionKind kind = written ? RegionKind::kOrphan : RegionKind::kUnused;
    if (!out.empty() && out.back().kind == kind && out.back().end_bytes() == at) {
      out.back().length_bytes += piece_end - at;
    } else {
      out.push_back(Region{kind, at, piece_end - at, 0});
    }
    at = piece_end;
  }
}

}  // namespace

std::string_view RegionKindName(RegionKind kind) {
  switch (kind) {
    case RegionKind::kSuperblock: return "superblock";
    case RegionKind::kSuperblockRegion: return "superblock region";
    case RegionKind::kRootTable: return "root table";
    case RegionKind::kSegmentTable: return "segment table";
    case RegionKind::kPage: return "live page";
    case RegionKind::kImportStaging: return "import staging";
    case RegionKind::kOrphan: return "orphan";
    case RegionKind::kUnused: return "unused";
  }
  return "?";
}

std::vector<Region> ClassifyMemory(const check::ByteSource& memory, const check::LayoutReport& report) {
  const uint64_t size = memory.size_bytes();
  std::vector<Region> reached;
  auto add = [&](RegionKind kind, uint64_t offset, uint64_t length, uint64_t index) {
    // Clip to the memory: the checker reports out-of-bounds extents; the picture shows what exists.
    if (offset >= size || length == 0) return;
    reached.push_back(Region{kind, offset, std::min(length, size - offset), index});
  };
  if (report.decoded) {
    for (const check::Extent& extent : report.extents) {
      switch (extent.kind) {
        case ExtentKind::kSuperblock: {
          // The encoded superblock (as long as the layout's encoding is), then the rest of its region.
          const uint64_t encoded = std::min<uint64_t>(extent.length_bytes, report.superblock.raw.size());
          add(RegionKind::kSuperblock, extent.offset_bytes, encoded, 0);
          if (extent.length_bytes > encoded) {
            add(RegionKind::kSuperblockRegion, extent.offset_bytes + encoded, extent.length_bytes - encoded, 0);
          }
          break;
        }
        case ExtentKind::kRootTable: add(RegionKind::kRootTable, extent.offset_bytes, extent.length_bytes, 0); break;
        case ExtentKind::kSegmentTable:
          add(RegionKind::kSegmentTable, extent.offset_bytes, extent.length_bytes, extent.index);
          break;
        case ExtentKind::kPage: add(RegionKind::kPage, extent.offset_bytes, extent.length_bytes, extent.index); break;
      }
    }
    const check::SuperblockFields& sb = report.superblock;
    if ((sb.flags & check::kFlagImporting) != 0 && sb.import_total_size > 0) {
      add(RegionKind::kImportStaging, sb.import_base_offset, sb.import_total_size, 0);
    }
  }
  std::sort(reached.begin(), reached.end(), [](const Region& a, const Region& b) {
    return a.offset_bytes != b.offset_bytes ? a.offset_bytes < b.offset_bytes : a.kind < b.kind;
  });

  std::vector<Region> out;
  uint64_t covered = 0;  // everything below has been placed
  for (const Region& region : reached) {
    if (region.offset_bytes > covered) ClassifyGap(memory, covered, region.offset_bytes, out);
    out.push_back(region);
    covered = std::max(covered, region.end_bytes());
  }
  if (covered < size) ClassifyGap(memory, covered, size, out);
  std::stable_sort(out.begin(), out.end(),
                   [](const Region& a, const Region& b) { return a.offset_bytes < b.offset_bytes; });
  return out;
}

std::vector<uint64_t> BytesByKind(const std::vector<Region>& regions) {
  std::vector<uint64_t> bytes(kRegionKindCount, 0);
  for (const Region& region : regions) bytes[static_cast<size_t>(region.kind)] += region.length_bytes;
  return bytes;
}

std::string RenderMemorySvg(const std::vector<Region>& regions, uint64_t memory_bytes, const SvgOptions& options) {
  // Scale: one row per 64 KiB unless that gives more than kMaxRows rows.
  uint64_t cell_bytes = 1024;
  while ((memory_bytes + cell_bytes * kCellsPerRow - 1) / (cell_bytes * kCellsPerRow) > kMaxRows) cell_bytes *= 2;
  const uint64_t row_bytes = cell_bytes * kCellsPerRow;
  const uint64_t rows = (memory_bytes + row_bytes - 1) / row_bytes;
  const bool right_labels = static_cast<bool>(options.file_offset);

  const int grid_left = kMargin + kLeftLabelWidth;
  const int grid_width = kCellsPerRow * kCellWidth;
  const int width = grid_left + grid_width + (right_labels ? kRightLabelWidth : kMargin) + kMargin;

  std::string body;
  int y = kMargin + 14;
  body += "<text x=\"" + std::to_string(kMargin) + "\" y=\"" + std::to_string(y) +
          "\" font-size=\"15\" font-weight=\"bold\">" + Escape(options.title) + "</text>\n";
  y += 20;
  body += "<text x=\"" + std::to_string(kMargin) + "\" y=\"" + std::to_string(y) + "\" font-size=\"12\">" +
          Escape(options.subtitle) + "</text>\n";

  // Legend: one swatch per kind present, with its bytes; wraps to the picture's width.
  const std::vector<uint64_t> bytes = BytesByKind(regions);
  y += 14;
  int x = kMargin;
  // One legend entry: a swatch drawn by `swatch(x, y)` and its label; wraps before an entry that would not fit.
  auto legend_item = [&](const std::function<std::string(int, int)>& swatch, const std::string& label) {
    const int item_width = 22 + static_cast<int>(label.size()) * 7 + 18;
    if (x + item_width > width - kMargin && x > kMargin) {
      x = kMargin;
      y += 20;
    }
    body += swatch(x, y);
    body += "<text x=\"" + std::to_string(x + 20) + "\" y=\"" + std::to_string(y + 11) + "\" font-size=\"12\">" +
            Escape(label) + "</text>\n";
    x += item_width;
  };
  for (int k = 0; k < kRegionKindCount; ++k) {
    if (bytes[static_cast<size_t>(k)] == 0) continue;
    const auto kind = static_cast<RegionKind>(k);
    legend_item(
        [&](int sx, int sy) {
          return "<rect x=\"" + std::to_string(sx) + "\" y=\"" + std::to_string(sy) +
                 "\" width=\"14\" height=\"14\" fill=\"" + StyleOf(kind).fill +
                 "\" stroke=\"#555555\" stroke-width=\"0.5\"/>\n";
        },
        std::string(RegionKindName(kind)) + " " + ShortBytes(bytes[static_cast<size_t>(k)]));
  }
  if (!options.problems.empty()) {
    legend_item(
        [](int sx, int sy) {
          return "<rect x=\"" + std::to_string(sx + 1) + "\" y=\"" + std::to_string(sy + 1) +
                 "\" width=\"12\" height=\"12\" fill=\"none\" stroke=\"#e00000\" stroke-width=\"2\"/>\n";
        },
        "problem (" + std::to_string(options.problems.size()) + ")");
  }
  y += 34;
  body += "<text x=\"" + std::to_string(kMargin) + "\" y=\"" + std::to_string(y) +
          "\" font-size=\"11\" fill=\"#444444\">one row = " + ShortBytes(row_bytes) + ", one cell = " +
          ShortBytes(cell_bytes) + ". pN: logical page N, sN: segment table N, R: root table. Left: memory offset" +
          (right_labels ? "; right: file offset, where it jumps" : "") + ".</text>\n";
  y += 10;
  const int grid_top = y;

  // Regions sorted by offset with a running maximum of their ends: every region before `lo` whose prefix
  // maximum end is at or below a cell's start cannot touch that cell or any later one.
  std::vector<uint64_t> max_end(regions.size());
  for (size_t i = 0; i < regions.size(); ++i) {
    max_end[i] = std::max(i == 0 ? 0 : max_end[i - 1], regions[i].end_bytes());
  }
  size_t lo = 0;
  struct Cell {
    int kind = -1;     // RegionKind, -1 past the end of the memory
    size_t region = 0; // which region, so adjacent pages stay separate rectangles
  };
  std::optional<uint64_t> previous_file_row;
  for (uint64_t row = 0; row < rows; ++row) {
    const int row_y = grid_top + static_cast<int>(row) * kRowHeight;
    const uint64_t row_start = row * row_bytes;
    body += "<text x=\"" + std::to_string(grid_left - 6) + "\" y=\"" + std::to_string(row_y + 11) +
            "\" font-size=\"10\" font-family=\"monospace\" text-anchor=\"end\">" + HexText(row_start) + "</text>\n";
    if (right_labels) {
      const std::optional<uint64_t> file_row = options.file_offset(row_start);
      if (file_row && (!previous_file_row || *previous_file_row + row_bytes != *file_row)) {
        body += "<text x=\"" + std::to_string(grid_left + grid_width + 6) + "\" y=\"" + std::to_string(row_y + 11) +
                "\" font-size=\"10\" font-family=\"monospace\">file " + HexText(*file_row) + "</text>\n";
      }
      previous_file_row = file_row;
    }
    std::array<Cell, kCellsPerRow> cells{};
    for (int c = 0; c < kCellsPerRow; ++c) {
      const uint64_t cell_start = row_start + static_cast<uint64_t>(c) * cell_bytes;
      if (cell_start >= memory_bytes) break;
      const uint64_t cell_end = cell_start + cell_bytes;
      while (lo < regions.size() && max_end[lo] <= cell_start) ++lo;
      for (size_t i = lo; i < regions.size() && regions[i].offset_bytes < cell_end; ++i) {
        if (regions[i].end_bytes() <= cell_start) continue;
        const int kind = static_cast<int>(regions[i].kind);
        if (cells[c].kind < 0 || kStyles[kind].priority < kStyles[cells[c].kind].priority) {
          cells[c] = Cell{kind, i};
        }
      }
    }
    // One rectangle per run of cells showing the same region (or the same background kind).
    int c = 0;
    while (c < kCellsPerRow && cells[c].kind >= 0) {
      const auto kind = static_cast<RegionKind>(cells[c].kind);
      const bool per_region = kind == RegionKind::kPage || kind == RegionKind::kSegmentTable ||
                              kind == RegionKind::kRootTable;
      int end = c + 1;
      // Orphans and unused space break at 16 KiB boundaries, so superseded pages show as pages.
      const bool per_granule = (kind == RegionKind::kOrphan || kind == RegionKind::kUnused) && cell_bytes < kGranuleBytes;
      while (end < kCellsPerRow && cells[end].kind == cells[c].kind &&
             (!per_region || cells[end].region == cells[c].region) &&
             !(per_granule && (row_start + static_cast<uint64_t>(end) * cell_bytes) % kGranuleBytes == 0)) {
        ++end;
      }
      const int rect_x = grid_left + c * kCellWidth;
      const int rect_width = (end - c) * kCellWidth - 1;
      const Region& region = regions[cells[c].region];
      body += "<rect x=\"" + std::to_string(rect_x) + "\" y=\"" + std::to_string(row_y) + "\" width=\"" +
              std::to_string(rect_width) + "\" height=\"" + std::to_string(kCellHeight) + "\" fill=\"" +
              StyleOf(kind).fill + "\"><title>" + Escape(std::string(RegionKindName(kind))) +
              (per_region && kind != RegionKind::kRootTable ? " " + std::to_string(region.index) : "") + " at " +
              HexText(region.offset_bytes) + " +" + std::to_string(region.length_bytes) + "</title></rect>\n";
      std::string label;
      if (kind == RegionKind::kPage) {
        label = "p" + std::to_string(region.index);
      } else if (kind == RegionKind::kSegmentTable) {
        label = "s" + std::to_string(region.index);
      } else if (kind == RegionKind::kRootTable) {
        label = "R";
      } else if (kind == RegionKind::kSuperblockRegion) {
        label = "superblock region (reserved, unused)";
      } else if (kind == RegionKind::kImportStaging) {
        label = "import staging";
      }
      // Show a label only where it fits (about 6 units per character at font size 9).
      if (!label.empty() && static_cast<int>(label.size()) * 6 + 2 <= rect_width) {
        body += "<text x=\"" + std::to_string(rect_x + rect_width / 2) + "\" y=\"" + std::to_string(row_y + 10) +
                "\" font-size=\"9\" text-anchor=\"middle\" fill=\"" + StyleOf(kind).label_fill + "\">" +
                Escape(label) + "</text>\n";
      }
      c = end;
    }
  }
  const int grid_bottom = grid_top + static_cast<int>(rows) * kRowHeight;

  // Problems: a red outline on the cell of each offset inside the memory, then a list under the grid.
  for (const auto& [offset, caption] : options.problems) {
    if (offset >= memory_bytes) continue;
    const uint64_t row = offset / row_bytes;
    const uint64_t cell = (offset % row_bytes) / cell_bytes;
    body += "<rect x=\"" + std::to_string(grid_left + static_cast<int>(cell) * kCellWidth - 1) + "\" y=\"" +
            std::to_string(grid_top + static_cast<int>(row) * kRowHeight - 1) + "\" width=\"" +
            std::to_string(kCellWidth + 1) + "\" height=\"" + std::to_string(kCellHeight + 2) +
            "\" fill=\"none\" stroke=\"#e00000\" stroke-width=\"2\"><title>" + Escape(caption) + "</title></rect>\n";
  }
  y = grid_bottom + 8;
  if (!options.problems.empty()) {
    y += 14;
    body += "<text x=\"" + std::to_string(kMargin) + "\" y=\"" + std::to_string(y) +
            "\" font-size=\"12\" font-weight=\"bold\" fill=\"#e00000\">problems</text>\n";
    int listed = 0;
    for (const auto& problem : options.problems) {
      if (listed == kMaxListedProblems) {
        y += 15;
        body += "<text x=\"" + std::to_string(kMargin) + "\" y=\"" + std::to_string(y) + "\" font-size=\"11\">... " +
                std::to_string(options.problems.size() - kMaxListedProblems) + " more (see stablevfs fsck)</text>\n";
        break;
      }
      y += 15;
      body += "<text x=\"" + std::to_string(kMargin) + "\" y=\"" + std::to_string(y) +
              "\" font-size=\"11\" font-family=\"monospace\">" + Escape(problem.second) + "</text>\n";
      ++listed;
    }
  }
  y += 18;
  body += "<text x=\"" + std::to_string(kMargin) + "\" y=\"" + std::to_string(y) +
          "\" font-size=\"10\" fill=\"#666666\">orphan: not reached from the active superblock but written (superseded "
          "pages and tables).</text>\n";
  y += 13;
  body += "<text x=\"" + std::to_string(kMargin) + "\" y=\"" + std::to_string(y) +
          "\" font-size=\"10\" fill=\"#666666\">unused: not reached and all zero. Both judged per 16 KiB.</text>\n";
  const int height = y + kMargin;

  std::string svg = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  svg += "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"" + std::to_string(width) +
         "\" height=\"" + std::to_string(height) + "\" viewBox=\"0 0 " + std::to_string(width) + " " +
         std::to_string(height) + "\" font-family=\"sans-serif\">\n";
  svg += "<rect x=\"0\" y=\"0\" width=\"" + std::to_string(width) + "\" height=\"" + std::to_string(height) +
         "\" fill=\"#ffffff\"/>\n";
  svg += body;
  svg += "</svg>\n";
  return svg;
}

}  // namespace stablevfs::cli
