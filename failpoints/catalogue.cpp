#include "failpoints/catalogue.h"

#include <algorithm>
#include <stdexcept>

#include "failpoints/spec.h"

namespace stablevfs::fp {
namespace {

// JSON string literal for `text` (RFC 8259 escaping; control characters as \u00XX).
std::string JsonString(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          constexpr char kHex[] = "0123456789abcdef";
          out += "\\u00";
          out += kHex[(c >> 4) & 0xf];
          out += kHex[c & 0xf];
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

// "error=2 crash=1" for the actions `name` fired in `snapshot`, or "-" when none.
std::string FiredSummary(const HitSnapshot& snapshot, std::string_view name) {
  std::string out;
  for (int a = 0; a < kActionCount; ++a) {
    const auto action = static_cast<Action>(a);
    if (const uint64_t n = snapshot.FiredOf(name, action); n != 0) {
      if (!out.empty()) out += ' ';
      out += std::string(ActionName(action)) + "=" + std::to_string(n);
    }
  }
  return out.empty() ? "-" : out;
}

}  // namespace

Catalogue& Catalogue::Global() {
  // Leaked on purpose, like the site table: usable from any static destructor.
  static Catalogue* global = new Catalogue;
  return *global;
}

SiteInfo Catalogue::View(const Owned& owned) const {
  return SiteInfo{owned.name, owned.layer, owned.simulates, owned.actions};
}

void Catalogue::Register(std::span<const SiteInfo> sites) {
  std::lock_guard lock(mutex_);
  // Validate the whole batch first, so a bad table adds nothing.
  std::map<std::string_view, const SiteInfo*> batch;
  for (const SiteInfo& site : sites) {
    const std::string name(site.name);
    if (!IsValidSiteName(site.name)) throw std::invalid_argument("failpoint catalogue: bad name '" + name + "'");
    if (site.actions == 0) throw std::invalid_argument("failpoint catalogue: '" + name + "' has no actions");
    if (site.actions >> kActionCount != 0) {
      throw std::invalid_argument("failpoint catalogue: '" + name + "' has an unknown action bit");
    }
    if (auto it = by_name_.find(site.name); it != by_name_.end()) {
      if (!(View(owned_[it->second]) == site)) {
        throw std::invalid_argument("failpoint catalogue: '" + name +
                                    "' is already registered with different details (names are permanent)");
      }
    } else if (auto [it2, inserted] = batch.emplace(site.name, &site); !inserted && !(*it2->second == site)) {
      throw std::invalid_argument("failpoint catalogue: '" + name + "' appears twice with different details");
    }
  }
  for (const auto& [name, site] : batch) {
    owned_.push_back(
        Owned{std::string(site->name), std::string(site->layer), std::string(site->simulates), site->actions});
    by_name_.emplace(owned_.back().name, owned_.size() - 1);
  }
}

std::vector<SiteInfo> Catalogue::All() const {
  std::lock_guard lock(mutex_);
  std::vector<SiteInfo> out;
  out.reserve(by_name_.size());
  for (const auto& [name, index] : by_name_) out.push_back(View(owned_[index]));  // a std::map: sorted
  return out;
}

std::optional<SiteInfo> Catalogue::Find(std::string_view name) const {
  std::lock_guard lock(mutex_);
  if (auto it = by_name_.find(name); it != by_name_.end()) return View(owned_[it->second]);
  return std::nullopt;
}

bool Catalogue::empty() const {
  std::lock_guard lock(mutex_);
  return owned_.empty();
}

size_t Catalogue::size() const {
  std::lock_guard lock(mutex_);
  return owned_.size();
}

std::string ActionList(uint32_t actions) {
  std::string out;
  for (int a = 0; a < kActionCount; ++a) {
    const auto action = static_cast<Action>(a);
    if ((actions & ActionBit(action)) == 0) continue;
    if (!out.empty()) out += ", ";
    out += ActionName(action);
  }
  return out;
}

std::string FormatTable(std::span<const SiteInfo> sites, const HitSnapshot* snapshot) {
  std::vector<std::vector<std::string>> rows;
  if (snapshot == nullptr) {
    rows.push_back({"NAME", "LAYER", "ACTIONS", "SIMULATES"});
  } else {
    rows.push_back({"NAME", "LAYER", "ACTIONS", "HITS", "FIRED", "SIMULATES"});
  }
  for (const SiteInfo& site : sites) {
    std::vector<std::string> row = {std::string(site.name), std::string(site.layer), ActionList(site.actions)};
    if (snapshot != nullptr) {
      row.push_back(std::to_string(snapshot->HitsOf(site.name)));
      row.push_back(FiredSummary(*snapshot, site.name));
    }
    row.push_back(std::string(site.simulates));
    rows.push_back(std::move(row));
  }
  std::vector<size_t> widths(rows.front().size(), 0);
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      // Two blanks between columns; the last column is not padded, so no line ends in blanks.
      if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 2, ' ');
    }
    out += line + "\n";
  }
  return out;
}

std::string FormatJson(std::span<const SiteInfo> sites, const HitSnapshot* snapshot) {
  std::string out = "[";
  for (size_t i = 0; i < sites.size(); ++i) {
    const SiteInfo& site = sites[i];
    out += i == 0 ? "\n  {" : ",\n  {";
    out += "\"name\": " + JsonString(site.name);
    out += ", \"layer\": " + JsonString(site.layer);
    out += ", \"simulates\": " + JsonString(site.simulates);
    out += ", \"actions\": [";
    bool first = true;
    for (int a = 0; a < kActionCount; ++a) {
      const auto action = static_cast<Action>(a);
      if ((site.actions & ActionBit(action)) == 0) continue;
      out += (first ? "" : ", ") + JsonString(ActionName(action));
      first = false;
    }
    out += "]";
    if (snapshot != nullptr) {
      out += ", \"hits\": " + std::to_string(snapshot->HitsOf(site.name));
      out += ", \"fired\": {";
      first = true;
      for (int a = 0; a < kActionCount; ++a) {
        const auto action = static_cast<Action>(a);
        if (const uint64_t n = snapshot->FiredOf(site.name, action); n != 0) {
          out += (first ? "" : ", ") + JsonString(ActionName(action)) + ": " + std::to_string(n);
          first = false;
        }
      }
      out += "}";
    }
    out += "}";
  }
  out += sites.empty() ? "]" : "\n]";
  return out;
}

}  // namespace stablevfs::fp
