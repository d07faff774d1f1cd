#include "client/server_list.h"

#include <algorithm>

namespace sealpost::internal {
namespace {

std::string Trim(const std::string& s) {
  size_t from = s.find_first_not_of(" \t");
  if (from == std::string::npos) return {};
  size_t to = s.find_last_not_of(" \t");
  return s.substr(from, to - from + 1);
}

}  // namespace

bool SplitServerList(const std::string& text, std::vector<std::string>* entries,
                     std::string* error) {
  entries->clear();
  size_t from = 0;
  for (;;) {
    size_t comma = text.find(',', from);
    std::string entry = Trim(text.substr(from, comma == std::string::npos ? comma : comma - from));
    if (entry.empty()) {
      *error = text.find_first_not_of(" \t,") == std::string::npos
                   ? "no server given"
                   : "empty entry in the server list '" + text + "'";
      return false;
    }
    entries->push_back(std::move(entry));
    if (comma == std::string::npos) return true;
    from = comma + 1;
  }
}

bool SplitHostPort(const std::string& s, std::string* host, uint16_t* port, std::string* error) {
  size_t colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == s.size()) {
    *error = "server must be host:port, got '" + s + "'";
    return false;
  }
  *host = s.substr(0, colon);
  if (host->front() == '[' || host->back() == ']') {
    if (host->size() < 3 || host->front() != '[' || host->back() != ']') {
      *error = "server must be host:port or [v6]:port, got '" + s + "'";
      return false;
    }
    *host = host->substr(1, host->size() - 2);
  }
  std::string digits = s.substr(colon + 1);
  if (digits.size() > 5 || digits.find_first_not_of("0123456789") != std::string::npos) {
    *error = "bad port in '" + s + "'";
    return false;
  }
  int number = std::stoi(digits);
  if (number <= 0 || number > 65535) {
    *error = "bad port in '" + s + "'";
    return false;
  }
  *port = static_cast<uint16_t>(number);
  return true;
}

bool ServerEntries(const std::string& server, const std::vector<std::string>& servers,
                   std::vector<std::string>* entries, std::string* error) {
  if (servers.empty()) {
    if (!SplitServerList(server, entries, error)) return false;
  } else {
    entries->clear();
    for (const std::string& s : servers) {
      // Each element is one entry; a comma inside one is a mistake, not a list.
      std::string entry = Trim(s);
      if (entry.empty() || entry.find(',') != std::string::npos) {
        *error = entry.empty() ? "empty entry in the server list"
                               : "server list entry '" + entry + "' contains a comma";
        return false;
      }
      entries->push_back(std::move(entry));
    }
  }
  for (size_t i = 0; i < entries->size(); ++i) {
    std::string host;
    uint16_t port = 0;
    if (!SplitHostPort((*entries)[i], &host, &port, error)) return false;
    if (std::find(entries->begin(), entries->begin() + static_cast<std::ptrdiff_t>(i),
                  (*entries)[i]) != entries->begin() + static_cast<std::ptrdiff_t>(i)) {
      *error = "server '" + (*entries)[i] + "' is listed twice";
      return false;
    }
  }
  return true;
}

}  // namespace sealpost::internal
