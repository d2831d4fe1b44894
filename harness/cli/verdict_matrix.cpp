#include "harness/cli/verdict_matrix.h"

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "harness/json/json_text.h"

namespace stablevfs::cli {
using json::JsonString;

std::string_view CellResultName(CellResult result) {
  switch (result) {
    case CellResult::kPass: return "pass";
    case CellResult::kExpectedFailure: return "expected failure";
    case CellResult::kUnexpectedFailure: return "FAIL";
    case CellResult::kUnexpectedPass: return "unexpected pass";
  }
  return "?";
}

std::string_view CellResultKey(CellResult result) {
  switch (result) {
    case CellResult::kPass: return "pass";
    case CellResult::kExpectedFailure: return "expected_failure";
    case CellResult::kUnexpectedFailure: return "unexpected_failure";
    case CellResult::kUnexpectedPass: return "unexpected_pass";
  }
  return "?";
}

CellResult VerdictCell::result() const {
  if (expected_to_survive) return violated ? CellResult::kUnexpectedFailure : CellResult::kPass;
  return violated ? CellResult::kExpectedFailure : CellResult::kUnexpectedPass;
}

bool LayoutVerdict::passed() const {
  if (!other_suites_passed) return false;
  for (const VerdictCell& cell : cells) {
    if (cell.result() == CellResult::kUnexpectedFailure) return false;
  }
  return true;
}

namespace {

std::string Pad(std::string text, size_t width) {
  if (text.size() < width) text.resize(width, ' ');
  return text;
}

}  // namespace

std::string FormatVerdictMatrix(const std::vector<LayoutVerdict>& verdicts) {
  std::ostringstream out;
  const std::vector<faults::CrashModel> models = faults::AllCrashModels();
  size_t layout_width = 8;  // "layout" and a blank, or the longest name and one
  for (const LayoutVerdict& v : verdicts) layout_width = std::max(layout_width, v.layout.size() + 2);
  const size_t kLayoutWidth = layout_width, kPromiseWidth = 15, kCellWidth = 18;
  out << Pad("layout", kLayoutWidth) << Pad("promise", kPromiseWidth);
  for (faults::CrashModel model : models) out << Pad(std::string(faults::CrashModelName(model)), kCellWidth);
  out << "other suites\n";
  for (const LayoutVerdict& v : verdicts) {
    out << Pad(v.layout, kLayoutWidth) << Pad(std::string(CommitAtomicityName(v.promise)), kPromiseWidth);
    for (const VerdictCell& cell : v.cells) out << Pad(std::string(CellResultName(cell.result())), kCellWidth);
    out << (v.other_suites_passed ? "pass" : "FAIL") << "\n";
  }
  bool header = false;
  for (const LayoutVerdict& v : verdicts) {
    for (const VerdictCell& cell : v.cells) {
      if (!cell.violated) continue;
      if (!header) {
        out << "\n";
        header = true;
      }
      const CellEvidence& e = cell.evidence;
      out << "layout " << v.layout << " x " << faults::CrashModelName(cell.model) << ": "
          << CellResultName(cell.result()) << ": " << e.property << " (" << e.where << ")\n";
      out << "  " << e.message.substr(0, 300) << (e.message.size() > 300 ? "..." : "") << "\n";
      if (!e.counterexample.empty()) {
        out << "  counterexample (" << e.counterexample_ops << (e.counterexample_ops == 1 ? " op" : " ops")
            << "): " << e.counterexample << "\n";
      }
      out << "  replay: " << e.replay << "\n";
    }
  }
  for (const LayoutVerdict& v : verdicts) {
    for (const VerdictCell& cell : v.cells) {
      if (cell.result() != CellResult::kUnexpectedPass) continue;
      out << "\nlayout " << v.layout << " survived " << faults::CrashModelName(cell.model) << " although it promises "
          << CommitAtomicityName(v.promise) << " only: if that is by design, declare the stronger promise in its "
          << "registration; if not, the gate did not reach the states that break it (raise --budget-seconds)\n";
    }
  }
  return out.str();
}

std::string VerdictMatrixJson(const std::vector<LayoutVerdict>& verdicts) {
  std::ostringstream out;
  out << "[";
  for (size_t i = 0; i < verdicts.size(); ++i) {
    const LayoutVerdict& v = verdicts[i];
    out << (i == 0 ? "\n  {" : ",\n  {") << "\"layout\": " << JsonString(v.layout)
        << ", \"promise\": " << JsonString(CommitAtomicityName(v.promise))
        << ", \"other_suites\": " << (v.other_suites_passed ? "\"pass\"" : "\"fail\"") << ", \"cells\": [";
    for (size_t k = 0; k < v.cells.size(); ++k) {
      const VerdictCell& c = v.cells[k];
      const CellEvidence& e = c.evidence;
      out << (k == 0 ? "\n    {" : ",\n    {") << "\"crash_model\": " << JsonString(faults::CrashModelName(c.model))
          << ", \"expected\": " << (c.expected_to_survive ? "\"pass\"" : "\"fail\"")
          << ", \"result\": " << JsonString(CellResultKey(c.result()));
      if (c.violated) {
        out << ", \"property\": " << JsonString(e.property) << ", \"message\": " << JsonString(e.message)
            << ", \"where\": " << JsonString(e.where)
            << ", \"counterexample\": " << (e.counterexample.empty() ? "null" : JsonString(e.counterexample))
            << ", \"counterexample_ops\": " << e.counterexample_ops << ", \"replay\": " << JsonString(e.replay);
      }
      out << "}";
    }
    out << "]}";
  }
  out << "]";
  return out.str();
}

}  // namespace stablevfs::cli
