#include "harness/cli/hits_file.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "harness/cli/args.h"
#include "harness/cli/image_file.h"
#include "harness/json/json_text.h"

namespace stablevfs::cli {
using json::JsonError;
using json::JsonString;
using json::JsonValue;
using json::ParseJson;

std::string FormatHitsFile(std::string_view command, const fp::HitSnapshot& snapshot, std::string_view layout) {
  std::string out = "{\n  \"format\": " + JsonString(kHitsFormat) + ",\n  \"command\": " + JsonString(command) +
                    ",\n  \"layout\": " + (layout.empty() ? std::string("null") : JsonString(layout)) +
                    ",\n  \"hits\": {";
  bool first = true;
  for (const auto& [name, count] : snapshot.hits) {
    out += (first ? "\n    " : ",\n    ") + JsonString(name) + ": " + std::to_string(count);
    first = false;
  }
  out += first ? "},\n  \"fired\": {" : "\n  },\n  \"fired\": {";
  // Group the (site, action) pairs by site; std::map orders them by site first.
  std::string current;
  first = true;
  for (const auto& [key, count] : snapshot.fired) {
    const auto& [name, action] = key;
    if (first || name != current) {
      out += first ? "\n    " : "},\n    ";
      out += JsonString(name) + ": {";
      current = name;
    } else {
      out += ", ";
    }
    out += JsonString(fp::ActionName(action)) + ": " + std::to_string(count);
    first = false;
  }
  out += first ? "}\n}\n" : "}\n  }\n}\n";
  return out;
}

void WriteHitsFile(const std::string& path, std::string_view command, const fp::HitSnapshot& snapshot,
                   std::string_view layout) {
  const size_t slash = path.find_last_of('/');
  if (slash != std::string::npos && slash > 0) {
    const std::string dir = path.substr(0, slash);
    if (!PathExists(dir) && ::mkdir(dir.c_str(), 0777) != 0 && errno != EEXIST) {
      throw std::runtime_error("cannot create directory " + dir + " for the hits file: " + std::strerror(errno));
    }
  }
  const std::string text = FormatHitsFile(command, snapshot, layout);
  SaveFileAtomically(path, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}

HitsFile ReadHitsFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UsageError(path + ": cannot read the hits file: " + std::strerror(errno));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();
  JsonValue root;
  try {
    root = ParseJson(text);
  } catch (const JsonError& e) {
    throw UsageError(path + ": not valid JSON: " + e.what() + "; delete it or rerun the command that wrote it");
  }
  const JsonValue* format = root.Find("format");
  if (format == nullptr || format->kind != JsonValue::Kind::kString || format->text != kHitsFormat) {
    throw UsageError(path + ": not a stablevfs hits file (expected \"format\": \"" + std::string(kHitsFormat) +
                     "\"); delete it or rerun the command that wrote it");
  }
  HitsFile file;
  if (const JsonValue* layout = root.Find("layout"); layout != nullptr && layout->kind == JsonValue::Kind::kString) {
    file.layout = layout->text;
  }
  if (const JsonValue* command = root.Find("command"); command != nullptr && command->kind == JsonValue::Kind::kString) {
    file.command = command->text;
  }
  auto bad = [&](const std::string& what) {
    return UsageError(path + ": " + what + "; delete it or rerun the command that wrote it");
  };
  if (const JsonValue* hits = root.Find("hits"); hits != nullptr) {
    if (hits->kind != JsonValue::Kind::kObject) throw bad("\"hits\" is not an object");
    for (const auto& [name, value] : hits->members) {
      uint64_t count = 0;
      if (!value.AsU64(&count)) throw bad("hits of \"" + name + "\" is not a whole number");
      if (count != 0) file.snapshot.hits[name] = count;
    }
  }
  if (const JsonValue* fired = root.Find("fired"); fired != nullptr) {
    if (fired->kind != JsonValue::Kind::kObject) throw bad("\"fired\" is not an object");
    for (const auto& [name, actions] : fired->members) {
      if (actions.kind != JsonValue::Kind::kObject) throw bad("fired of \"" + name + "\" is not an object");
      for (const auto& [action_name, value] : actions.members) {
        fp::Action action = fp::Action::kOff;
        if (!fp::ParseAction(action_name, &action)) {
          throw bad("fired of \"" + name + "\" names an unknown action \"" + action_name + "\"");
        }
        uint64_t count = 0;
        if (!value.AsU64(&count)) throw bad("fired " + action_name + " of \"" + name + "\" is not a whole number");
        if (count != 0) file.snapshot.fired[{name, action}] = count;
      }
    }
  }
  return file;
}

}  // namespace stablevfs::cli
