#include "harness/json/xml_text.h"

#include "harness/json/utf8.h"

namespace stablevfs::json {

std::string XmlEscape(const std::string& raw) {
  // XML text is UTF-8 here (the declaration says so): bytes that are not (a file name may hold any) become U+FFFD.
  const std::string text = ToValidUtf8(raw);
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') {
          out += '?';
        } else {
          out += c;
        }
    }
  }
  return out;
}

}  // namespace stablevfs::json
