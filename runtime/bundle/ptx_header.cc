#include "runtime/bundle/ptx_header.h"

#include <algorithm>
#include <string>

namespace hrt::bundle {
namespace {

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace

Result<PtxHeader> ScanPtxHeader(std::string_view ptx) {
  PtxHeader header;
  bool have_version = false, have_target = false;
  bool in_block_comment = false;
  size_t start = 0;
  while (start < ptx.size() && !(have_version && have_target)) {
    const size_t end = std::min(ptx.find('\n', start), ptx.size());
    const std::string_view raw = ptx.substr(start, end - start);
    start = end + 1;
    // The line without comments (/* */ ones may span lines).
    std::string line;
    for (size_t i = 0; i < raw.size();) {
      if (in_block_comment) {
        const size_t close = raw.find("*/", i);
        if (close == std::string_view::npos) break;
        in_block_comment = false;
        i = close + 2;
      } else if (raw.compare(i, 2, "//") == 0) {
        break;  // the rest of the line is a comment
      } else if (raw.compare(i, 2, "/*") == 0) {
        in_block_comment = true;
        i += 2;
      } else {
        line += raw[i++];
      }
    }
    const std::string_view text = Trim(line);
    if (text.empty() || text.front() == '\0') continue;
    if (text.starts_with(".version") && text.size() > 8 && IsSpace(text[8])) {
      HRT_ASSIGN_OR_RETURN(header.version, select::ParsePtxIsa(Trim(text.substr(8))));
      have_version = true;
    } else if (text.starts_with(".target") && text.size() > 7 && IsSpace(text[7])) {
      std::string_view targets = Trim(text.substr(7));
      targets = Trim(targets.substr(0, targets.find(',')));
      HRT_ASSIGN_OR_RETURN(header.target, select::ParseArch(targets));
      have_target = true;
    } else {
      break;  // PTX puts both directives before anything else
    }
  }
  if (!have_version) return ParseError("PTX: no .version directive before the first statement");
  if (!have_target) return ParseError("PTX: no .target directive before the first statement");
  return header;
}

}  // namespace hrt::bundle
