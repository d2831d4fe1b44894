// Args: the command line of one stablevfs subcommand, parsed strictly.
//
// Every subcommand declares its options up front (name, whether it takes a value, help text); anything else
// on the line is a usage error that names the offending argument. Typed getters reject malformed values with
// a message naming the option and what was expected. Usage errors are reported with exit code 2.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace stablevfs::cli {

// Exit codes of every subcommand.
inline constexpr int kExitPass = 0;       // nothing wrong found
inline constexpr int kExitViolation = 1;  // a violation or check failure was found
inline constexpr int kExitUsage = 2;      // bad usage or bad input
inline constexpr int kExitInternal = 3;   // the tool itself failed

// Thrown for bad usage or bad input; main() prints it and exits 2.
class UsageError : public std::runtime_error {
 public:
  explicit UsageError(const std::string& what) : std::runtime_error(what) {}
};

struct OptionSpec {
  std::string name;        // without the leading "--"
  bool takes_value = false;
  std::string value_name;  // shown in help, e.g. "SEED"
  std::string help;
  std::string default_text;  // shown in help when not empty
};

class Args {
 public:
  // Parses argv[first..argc). REQUIRES: specs names are unique. Throws UsageError for an unknown option or
  // a missing value. "--help"/"-h" is always accepted and sets help().
  Args(std::string command, std::vector<OptionSpec> specs, int argc, char** argv, int first);

  bool help() const { return help_; }
  bool has(const std::string& name) const { return values_.count(name) > 0; }
  // The raw value of a value option, or nullopt.
  std::optional<std::string> get(const std::string& name) const;
  std::string get_or(const std::string& name, const std::string& fallback) const;
  // Typed getters: throw UsageError naming the option when the value is malformed or out of range. Seconds
  // are finite, 0..kSecondsMax (a longer run is a typo, and a deadline that far overflows the clock).
  uint64_t get_u64(const std::string& name, uint64_t fallback) const;
  double get_seconds(const std::string& name, double fallback) const;
  const std::vector<std::string>& positional() const { return positional_; }

  // The help text: usage line, description, and one line per option.
  std::string HelpText(const std::string& usage, const std::string& description) const;

 private:
  std::string command_;
  std::vector<OptionSpec> specs_;
  std::map<std::string, std::string> values_;  // flag options store ""
  std::vector<std::string> positional_;
  bool help_ = false;
};

// The longest duration a seconds option takes: 365 days.
inline constexpr double kSecondsMax = 365.0 * 24 * 3600;

// Seconds as a person reads them back: "60", "1.5", "0.001" (up to 10 significant digits, no trailing zeros).
std::string FormatSeconds(double seconds);

// Parses a decimal u64 ("0x" hex accepted); throws UsageError naming `what`.
uint64_t ParseU64(const std::string& text, const std::string& what);

}  // namespace stablevfs::cli
