#include "harness/cli/image_report.h"

#include <algorithm>
#include <cstdio>

#include "harness/json/json_text.h"

namespace stablevfs::cli {
using json::JsonString;

void RequirePositionals(const Args& args, size_t min, size_t max, const std::vector<std::string>& names,
                        const std::string& command, const std::string& usage) {
  const auto& positional = args.positional();
  if (positional.size() < min) {
    const std::string missing = positional.size() < names.size() ? names[positional.size()] : "an argument";
    throw UsageError("missing " + missing + " (usage: stablevfs " + command + " " + usage + ")");
  }
  if (positional.size() > max) {
    throw UsageError("unexpected argument '" + positional[max] + "' (usage: stablevfs " + command + " " + usage +
                     ")");
  }
}

std::string Hex(uint64_t value) {
  char text[32];
  std::snprintf(text, sizeof text, "0x%llx", static_cast<unsigned long long>(value));
  return text;
}

std::string Bytes(uint64_t value) {
  std::string out = std::to_string(value) + " bytes";
  if (value < 1024) return out;
  char text[32];
  if (value < 1024 * 1024) {
    if (value % 1024 == 0) {
      std::snprintf(text, sizeof text, "%llu KiB", static_cast<unsigned long long>(value / 1024));
    } else {
      std::snprintf(text, sizeof text, "%.2f KiB", static_cast<double>(value) / 1024.0);
    }
  } else if (value < 1024ull * 1024 * 1024) {
    std::snprintf(text, sizeof text, "%.2f MiB", static_cast<double>(value) / (1024.0 * 1024.0));
  } else {
    std::snprintf(text, sizeof text, "%.2f GiB", static_cast<double>(value) / (1024.0 * 1024.0 * 1024.0));
  }
  return out + " (" + text + ")";
}

std::string Count(uint64_t count, const std::string& noun) {
  return std::to_string(count) + " " + noun + (count == 1 ? "" : "s");
}

std::string Percent(uint64_t basis_points) {
  char text[32];
  std::snprintf(text, sizeof text, "%llu.%02llu%%", static_cast<unsigned long long>(basis_points / 100),
                static_cast<unsigned long long>(basis_points % 100));
  return text;
}

std::string ImageSummaryLine(const CheckedImage& image) {
  std::string out = image.path() + ": " + Bytes(image.file_bytes());
  if (image.target().raw) return out + " of raw virtual memory (--raw)";
  out += " of stable memory; ";
  const check::MemoryManagerReport& manager = image.manager();
  if (!manager.decoded) return out + "no MemoryManager header";
  const check::MemoryManagerHeader& header = manager.header;
  out += "MemoryManager v" + std::to_string(header.version) + ", " + std::to_string(header.allocated_buckets) +
         (header.allocated_buckets == 1 ? " bucket" : " buckets") + " of " +
         std::to_string(header.bucket_size_pages) + " pages allocated";
  return out;
}

std::string MemoryList(const CheckedImage& image) {
  if (image.target().raw || !image.manager().decoded) return "";
  const check::MemoryManagerHeader& header = image.manager().header;
  std::string out;
  for (uint64_t i = 0; i < check::mm::kMemoryCount; ++i) {
    const std::vector<uint32_t> buckets = header.BucketsOf(static_cast<uint8_t>(i));
    if (header.memory_size_pages[i] == 0 && buckets.empty()) continue;
    out += "  memory " + std::to_string(i) + ": " + Count(header.memory_size_pages[i], "page") + ", " +
           Bytes(header.memory_size_pages[i] * kWasmPageBytes) + ", " +
           (buckets.size() == 1 ? "bucket" : "buckets");
    const size_t shown = std::min<size_t>(buckets.size(), 8);
    for (size_t k = 0; k < shown; ++k) out += " " + std::to_string(buckets[k]);
    if (shown < buckets.size()) out += " ... (" + std::to_string(buckets.size()) + " in all)";
    if (!buckets.empty()) {
      out += " at file " + Hex(check::mm::kOffBucketData + uint64_t{buckets[0]} * header.bucket_bytes());
    }
    if (i == image.target().memory_id) out += "  <- this database";
    out += "\n";
  }
  return out;
}

std::string ImageJsonMembers(const CheckedImage& image) {
  std::string out = "\"image\": " + JsonString(image.path()) + ", \"size_bytes\": " +
                    std::to_string(image.file_bytes()) + ", \"raw\": " + (image.target().raw ? "true" : "false");
  out += ", \"memory_id\": " + (image.target().raw ? std::string("null") : std::to_string(image.target().memory_id));
  return out;
}

std::string ManagerJson(const CheckedImage& image) {
  if (image.target().raw || !image.manager().decoded) return "null";
  const check::MemoryManagerHeader& header = image.manager().header;
  std::string out = "{\"version\": " + std::to_string(header.version) +
                    ", \"allocated_buckets\": " + std::to_string(header.allocated_buckets) +
                    ", \"bucket_size_pages\": " + std::to_string(header.bucket_size_pages) + ", \"memories\": [";
  bool first = true;
  for (uint64_t i = 0; i < check::mm::kMemoryCount; ++i) {
    const std::vector<uint32_t> buckets = header.BucketsOf(static_cast<uint8_t>(i));
    if (header.memory_size_pages[i] == 0 && buckets.empty()) continue;
    out += (first ? "" : ", ") + std::string("{\"id\": ") + std::to_string(i) +
           ", \"size_pages\": " + std::to_string(header.memory_size_pages[i]) + ", \"buckets\": [";
    for (size_t k = 0; k < buckets.size(); ++k) out += (k == 0 ? "" : ", ") + std::to_string(buckets[k]);
    out += "]}";
    first = false;
  }
  return out + "]}";
}

std::string SuperblockJson(const check::LayoutReport& layout) {
  if (!layout.decoded) return "null";
  const check::SuperblockFields& sb = layout.superblock;
  auto num = [](const char* name, uint64_t value) {
    return std::string(", \"") + name + "\": " + std::to_string(value);
  };
  auto hex = [](const char* name, uint64_t value) { return std::string(", \"") + name + "\": \"" + Hex(value) + "\""; };
  const std::string magic(sb.raw.begin(), sb.raw.begin() + static_cast<ptrdiff_t>(std::min<size_t>(8, sb.raw.size())));
  std::string out = "{\"layout\": " + JsonString(layout.layout) + ", \"magic\": " + JsonString(magic);
  out += num("version", sb.version) + num("page_size", sb.page_size) + num("db_size", sb.db_size);
  out += num("logical_pages", sb.logical_pages()) + num("schema_version", sb.schema_version);
  out += num("last_tx_id", sb.last_tx_id) + num("flags", sb.flags);
  out += ", \"importing\": " + std::string((sb.flags & check::kFlagImporting) ? "true" : "false");
  out += ", \"checksum_stale\": " + std::string((sb.flags & check::kFlagChecksumStale) ? "true" : "false");
  out += ", \"checksum_refreshing\": " +
         std::string((sb.flags & check::kFlagChecksumRefreshing) ? "true" : "false");
  out += hex("checksum", sb.checksum) + hex("import_expected_checksum", sb.import_expected_checksum);
  out += num("import_written_until", sb.import_written_until) + num("import_total_size", sb.import_total_size);
  out += num("import_base_offset", sb.import_base_offset) + num("checksum_refresh_offset", sb.checksum_refresh_offset);
  out += hex("checksum_refresh_hash", sb.checksum_refresh_hash) + num("checksum_refresh_tx_id", sb.checksum_refresh_tx_id);
  out += num("db_base_offset", sb.db_base_offset) + num("page_table_offset", sb.page_table_offset);
  out += num("root_entries", sb.page_count) + num("page_count", sb.page_count) +
         num("layout_version", sb.layout_version);
  out += hex("meta_checksum", sb.meta_checksum) + hex("computed_meta_checksum", sb.computed_meta_checksum);
  out += ", \"layout_fields\": {";
  for (size_t i = 0; i < sb.layout_fields.size(); ++i) {
    out += (i == 0 ? "" : ", ") + JsonString(sb.layout_fields[i].name) + ": " + std::to_string(sb.layout_fields[i].value);
  }
  return out + "}}";
}

std::string SpaceJson(const check::SpaceAccounting& space) {
  return "{\"allocated_bytes\": " + std::to_string(space.allocated_bytes) +
         ", \"active_bytes\": " + std::to_string(space.active_bytes) +
         ", \"orphan_bytes\": " + std::to_string(space.orphan_bytes) +
         ", \"orphan_ratio_bp\": " + std::to_string(space.orphan_ratio_bp) +
         ", \"compaction_recommended\": " + (space.compaction_recommended ? "true" : "false") +
         ", \"mapped_pages\": " + std::to_string(space.mapped_pages) +
         ", \"segments\": " + std::to_string(space.segments) + "}";
}

std::string ProblemsJson(const std::vector<LocatedProblem>& problems) {
  std::string out = "[";
  for (size_t i = 0; i < problems.size(); ++i) {
    const LocatedProblem& p = problems[i];
    out += (i == 0 ? "\n    {" : ",\n    {");
    out += "\"scope\": " + JsonString(p.scope);
    out += ", \"kind\": " + JsonString(check::ProblemKindName(p.problem.kind));
    out += ", \"offset\": " + std::to_string(p.problem.offset_bytes);
    out += ", \"file_offset\": " + (p.file_offset ? std::to_string(*p.file_offset) : std::string("null"));
    out += ", \"message\": " + JsonString(p.problem.message) + "}";
  }
  return out + (problems.empty() ? "]" : "\n  ]");
}

}  // namespace stablevfs::cli
