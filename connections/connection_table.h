// Every connection of one loop by id, and the one live session per client.
// Asynchronous callbacks (Redis answers, client-event acks) carry a
// connection id and look the connection up here: by the time Redis answers,
// the connection may be gone, and ids are never reused.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace sp::connections {

class Connection;

class ConnectionTable {
 public:
  void Add(uint64_t id, Connection* conn) { by_id_.emplace(id, conn); }
  void Remove(uint64_t id) { by_id_.erase(id); }
  Connection* Find(uint64_t id) const;
  size_t Size() const { return by_id_.size(); }
  // A copy: the caller may close connections while it walks the list.
  std::vector<Connection*> All() const;

  // Makes `conn_id` the session of `client`; returns the connection it
  // replaces (0 if none).
  uint64_t Bind(const std::string& client, uint64_t conn_id);
  // Removes the binding if it is still `conn_id`'s; true when it was.
  bool Unbind(const std::string& client, uint64_t conn_id);
  Connection* FindClient(const std::string& client) const;
  size_t SessionCount() const { return by_client_.size(); }
  // A copy, for the same reason as All(); at most `max` of them.
  std::vector<std::string> ClientIds(size_t max = SIZE_MAX) const;

 private:
  std::unordered_map<uint64_t, Connection*> by_id_;
  std::unordered_map<std::string, uint64_t> by_client_;  // client id -> connection id
};

}  // namespace sp::connections
