// XML text escaping for the reports that are XML (JUnit, the SVG memory map). It lives beside the JSON text
// helpers because both must turn arbitrary bytes (file names may hold any) into valid UTF-8 output.
#pragma once

#include <string>

namespace stablevfs::json {

// `text` with the five XML special characters escaped, control characters other than tab and newline
// replaced by '?' (XML 1.0 cannot carry them at all), and bytes that are not well-formed UTF-8 replaced by
// U+FFFD: the result is valid XML text whatever the bytes.
std::string XmlEscape(const std::string& text);

}  // namespace stablevfs::json
