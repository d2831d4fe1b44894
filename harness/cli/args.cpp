#include "harness/cli/args.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>

namespace stablevfs::cli {

uint64_t ParseU64(const std::string& text, const std::string& what) {
  if (text.empty()) throw UsageError(what + ": expected a whole number, got an empty value");
  int base = 10;
  std::string digits = text;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    base = 16;
    digits = text.substr(2);
  }
  for (char c : digits) {
    const bool ok = base == 10 ? (c >= '0' && c <= '9') : std::isxdigit(static_cast<unsigned char>(c)) != 0;
    if (!ok) throw UsageError(what + ": expected a whole number, got '" + text + "'");
  }
  errno = 0;
  char* end = nullptr;
  const unsigned long long value = std::strtoull(digits.c_str(), &end, base);
  if (errno == ERANGE || end == digits.c_str() || *end != '\0') {
    throw UsageError(what + ": '" + text + "' is not a 64-bit unsigned number");
  }
  return value;
}

Args::Args(std::string command, std::vector<OptionSpec> specs, int argc, char** argv, int first)
    : command_(std::move(command)), specs_(std::move(specs)) {
  for (int i = first; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      help_ = true;
      continue;
    }
    if (arg == "--") {
      for (++i; i < argc; ++i) positional_.emplace_back(argv[i]);
      break;
    }
    if (arg.rfind("--", 0) != 0 || arg.size() == 2) {
      positional_.push_back(arg);
      continue;
    }
    std::string name = arg.substr(2);
    std::optional<std::string> inline_value;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      inline_value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    const OptionSpec* spec = nullptr;
    for (const OptionSpec& s : specs_) {
      if (s.name == name) spec = &s;
    }
    if (spec == nullptr) {
      throw UsageError("unknown option '--" + name + "' (see 'stablevfs " + command_ + " --help')");
    }
    if (!spec->takes_value) {
      if (inline_value) throw UsageError("option '--" + name + "' takes no value");
      values_[name] = "";
      continue;
    }
    if (inline_value) {
      values_[name] = *inline_value;
    } else if (i + 1 < argc) {
      values_[name] = argv[++i];
    } else {
      throw UsageError("option '--" + name + "' needs a value (" + spec->value_name + ")");
    }
  }
}

std::optional<std::string> Args::get(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

std::string Args::get_or(const std::string& name, const std::string& fallback) const {
  auto v = get(name);
  return v ? *v : fallback;
}

uint64_t Args::get_u64(const std::string& name, uint64_t fallback) const {
  auto v = get(name);
  if (!v) return fallback;
  return ParseU64(*v, "--" + name);
}

double Args::get_seconds(const std::string& name, double fallback) const {
  auto v = get(name);
  if (!v) return fallback;
  char* end = nullptr;
  errno = 0;
  const double seconds = std::strtod(v->c_str(), &end);
  if (v->empty() || errno == ERANGE || *end != '\0' || !(seconds >= 0) || !std::isfinite(seconds)) {
    throw UsageError("--" + name + ": expected a number of seconds >= 0, got '" + *v + "' (at most " +
                     FormatSeconds(kSecondsMax) + ", 365 days)");
  }
  if (seconds > kSecondsMax) {
    throw UsageError("--" + name + ": " + *v + " seconds is more than the limit of " + FormatSeconds(kSecondsMax) +
                     " (365 days)");
  }
  return seconds;
}

std::string FormatSeconds(double seconds) {
  char text[64];
  std::snprintf(text, sizeof text, "%.10g", seconds);
  return text;
}

std::string Args::HelpText(const std::string& usage, const std::string& description) const {
  std::ostringstream out;
  out << "usage: stablevfs " << command_ << " " << usage << "\n\n" << description << "\n";
  if (!specs_.empty()) out << "\noptions:\n";
  for (const OptionSpec& s : specs_) {
    std::string left = "  --" + s.name + (s.takes_value ? " " + s.value_name : "");
    out << left;
    out << std::string(left.size() < 28 ? 28 - left.size() : 1, ' ') << s.help;
    if (!s.default_text.empty()) out << " (default " << s.default_text << ")";
    out << "\n";
  }
  out << "  --help                    this text\n";
  out << "\nexit codes: 0 pass, 1 violation or check failure, 2 bad usage or input, 3 internal error\n";
  return out.str();
}

}  // namespace stablevfs::cli
