#include "bench/workloads/markdown_text.h"

#include <cstdio>

#include "bench/workloads/vfs_bench.h"

namespace stablevfs::bench {

// Built forwards: GCC 12 warns falsely (-Wrestrict) on std::string::insert here.
std::string Grouped(uint64_t n) {
  const std::string digits = std::to_string(n);
  std::string grouped;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) grouped.push_back(',');
    grouped.push_back(digits[i]);
  }
  return grouped;
}

std::string Grouped(const std::optional<uint64_t>& n) { return n ? Grouped(*n) : kNoNumber; }

std::string Millis(const std::optional<int64_t>& ns) {
  if (!ns) return kNoNumber;
  return Fixed(static_cast<double>(*ns) / 1e6, 3);
}

std::string Ratio(const std::optional<double>& ratio) { return ratio ? Fixed(*ratio, 2) : kNoNumber; }

std::string Fixed(double value, int decimals) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

std::string Cell(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '|') {
      out += "\\|";
    } else if (static_cast<unsigned char>(c) < 0x20) {  // line breaks, tabs, control bytes
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

void WriteHarnessTables(const HarnessReport& h, std::ostream& out) {
  if (!h.error.empty()) out << "**Harness benchmark error:** " << Cell(h.error) << "\n\n";
  if (!h.judged.empty()) {
    out << "Fully judged messages (property driver, seed " << h.seed << ", cases of " << h.judged_steps
        << " ops cycling the crash models ic, error, powerloss, torn; one thread; per layout). A case stops at its "
           "first violation; `expected` counts the cases that ended at a violation the layout does not promise to "
           "survive (layout 8 under powerloss and torn), `violations` the others:\n\n";
    out << "| layout | cases | ops | messages | violations | expected | CPU s | wall s | messages per CPU-second |\n";
    out << "|---|--:|--:|--:|--:|--:|--:|--:|--:|\n";
    for (const JudgedThroughput& j : h.judged) {
      out << "| " << Cell(j.layout) << " | " << j.cases << " | " << Grouped(j.ops) << " | " << Grouped(j.messages)
          << " | " << j.violations << " | " << j.expected_violations << " | " << Fixed(j.cpu_seconds, 2) << " | "
          << Fixed(j.seconds, 2) << " | " << Grouped(static_cast<uint64_t>(j.per_cpu_second() + 0.5)) << " |\n";
    }
    out << "\n";
  }

  if (!h.explore.empty()) {
    out << "Crash points (`stablevfs explore`, every standard workload in " << Cell(h.workloads_dir)
        << ", actions error, trap, powerloss, torn, per layout; `expected`: findings at points the layout does not "
           "promise to survive):\n\n";
    out << "| layout | --jobs | workloads | crash points | violations | expected | CPU s | wall s | points per "
           "CPU-second | points per second |\n";
    out << "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n";
    for (const ExploreThroughput& e : h.explore) {
      out << "| " << Cell(e.layout) << " | " << e.jobs << " | " << e.workloads << " | " << Grouped(e.crash_points)
          << " | " << e.violations << " | " << Grouped(e.expected_violations) << " | " << Fixed(e.cpu_seconds, 2)
          << " | " << Fixed(e.seconds, 2) << " | " << Grouped(static_cast<uint64_t>(e.per_cpu_second() + 0.5))
          << " | " << Grouped(static_cast<uint64_t>(e.per_second() + 0.5)) << " |\n";
    }
    out << "\n";
  }

  if (!h.controls.empty()) {
    out << "Negative controls (storage faults armed for whole cases of " << h.control_steps
        << " ops, cases in seed order until the first violation, under powerloss when the layout promises to "
           "survive it, else ic; the shrunk counterexample counts the `arm` lines that make the fault exact):\n\n";
    out << "| layout | crash model | control | faults | cases | messages to first violation | seconds | property | "
           "ops: case -> shrunk | shrink runs | shrink s |\n";
    out << "|---|---|---|---|--:|--:|--:|---|--:|--:|--:|\n";
    for (const ControlResult& c : h.controls) {
      out << "| " << Cell(c.layout) << " | " << Cell(c.crash_model) << " | " << Cell(c.name) << " | `"
          << Cell(c.faults) << "` | " << c.cases << " | ";
      if (!c.caught) {
        out << "not caught (" << Grouped(c.messages) << " messages) | " << Fixed(c.seconds, 2)
            << " | – | – | – | – |\n";
        continue;
      }
      out << Grouped(c.messages) << " | " << Fixed(c.seconds, 2) << " | " << Cell(c.property) << " | "
          << (c.shrunk ? std::to_string(c.original_ops) + " -> " + std::to_string(c.shrunk_ops)
                       : std::string("not reproduced"))
          << " | " << c.shrink_runs << " | " << Fixed(c.shrink_seconds, 2) << " |\n";
    }
    out << "\n";
  }
}

std::string Verdict(const GoalResult& goal) {
  if (!goal.pass) return "not judged";
  if (*goal.pass) return "PASS";
  return goal.expected.empty() ? "FAIL" : "expected: " + goal.expected;
}

void WriteGoalsTable(const std::vector<GoalResult>& goals, std::ostream& out) {
  out << "| goal | layout | scope | measured | result |\n|---|---|---|---|---|\n";
  for (const GoalResult& g : goals) {
    out << "| " << Cell(g.name) << " | " << (g.layout.empty() ? std::string(kNoNumber) : Cell(g.layout)) << " | "
        << Cell(g.scope) << " | " << Cell(g.detail) << " | " << Cell(Verdict(g)) << " |\n";
  }
}

}  // namespace stablevfs::bench
