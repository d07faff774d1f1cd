#include "server/http_request.h"

namespace sp::server {
namespace {

constexpr size_t kMaxMethod = 16;
constexpr size_t kMaxTarget = 2048;

bool IsUpper(char c) {
  return c >= 'A' && c <= 'Z';
}
// Visible ASCII: a request target never holds spaces or control bytes.
bool IsVisible(char c) {
  return c > ' ' && c < 0x7f;
}

// "METHOD SP /target SP HTTP/1.x"
bool ParseRequestLine(std::string_view line, HttpRequest* out) {
  size_t sp1 = line.find(' ');
  if (sp1 == 0 || sp1 == std::string_view::npos || sp1 > kMaxMethod) return false;
  std::string_view method = line.substr(0, sp1);
  for (char c : method)
    if (!IsUpper(c)) return false;
  size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return false;
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  if (target.empty() || target.size() > kMaxTarget || target[0] != '/') return false;
  for (char c : target)
    if (!IsVisible(c)) return false;
  std::string_view version = line.substr(sp2 + 1);
  if (version != "HTTP/1.1" && version != "HTTP/1.0") return false;
  out->method = method;
  out->path = target.substr(0, target.find('?'));
  return true;
}

// "Name: value" with a token name and no control bytes but tab in the value.
bool IsHeaderLine(std::string_view line) {
  size_t colon = line.find(':');
  if (colon == 0 || colon == std::string_view::npos) return false;
  for (char c : line.substr(0, colon))
    if (!IsVisible(c)) return false;
  for (char c : line.substr(colon + 1))
    if ((static_cast<unsigned char>(c) < ' ' && c != '\t') || c == 0x7f) return false;
  return true;
}

}  // namespace

HeadParse ParseRequestHead(std::string_view buffer, size_t max_bytes, HttpRequest* out) {
  // Refuse what cannot become a request as soon as it shows (a TLS hello, a
  // stray protocol), instead of holding the connection until the deadline.
  size_t first_eol = buffer.find("\r\n");
  HttpRequest line;
  if (first_eol != std::string_view::npos) {
    if (!ParseRequestLine(buffer.substr(0, first_eol), &line)) return HeadParse::Malformed;
  } else {
    for (char c : buffer)
      if (!IsVisible(c) && c != ' ' && c != '\r') return HeadParse::Malformed;
  }
  size_t end = buffer.find("\r\n\r\n");
  if (end == std::string_view::npos || end + 4 > max_bytes)
    return buffer.size() >= max_bytes ? HeadParse::Malformed : HeadParse::Incomplete;
  std::string_view head = buffer.substr(0, end + 2);  // every line ends in CRLF
  for (size_t pos = first_eol + 2; pos < head.size();) {
    size_t next = head.find("\r\n", pos);
    if (!IsHeaderLine(head.substr(pos, next - pos))) return HeadParse::Malformed;
    pos = next + 2;
  }
  *out = line;
  return HeadParse::Complete;
}

}  // namespace sp::server
