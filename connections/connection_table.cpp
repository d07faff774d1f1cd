#include "connections/connection_table.h"

#include <algorithm>

namespace sp::connections {

Connection* ConnectionTable::Find(uint64_t id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : it->second;
}

std::vector<Connection*> ConnectionTable::All() const {
  std::vector<Connection*> all;
  all.reserve(by_id_.size());
  for (const auto& [id, conn] : by_id_) all.push_back(conn);
  return all;
}

uint64_t ConnectionTable::Bind(const std::string& client, uint64_t conn_id) {
  auto [it, inserted] = by_client_.try_emplace(client, conn_id);
  if (inserted) return 0;
  uint64_t previous = it->second;
  it->second = conn_id;
  return previous == conn_id ? 0 : previous;
}

bool ConnectionTable::Unbind(const std::string& client, uint64_t conn_id) {
  auto it = by_client_.find(client);
  if (it == by_client_.end() || it->second != conn_id) return false;
  by_client_.erase(it);
  return true;
}

Connection* ConnectionTable::FindClient(const std::string& client) const {
  auto it = by_client_.find(client);
  return it == by_client_.end() ? nullptr : Find(it->second);
}

std::vector<std::string> ConnectionTable::ClientIds(size_t max) const {
  std::vector<std::string> ids;
  ids.reserve(std::min(max, by_client_.size()));
  for (const auto& [client, id] : by_client_) {
    if (ids.size() == max) break;
    ids.push_back(client);
  }
  return ids;
}

}  // namespace sp::connections
