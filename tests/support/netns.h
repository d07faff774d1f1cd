// A network namespace joined to this one by a veth pair, for tests that need
// a client whose packets can be dropped without the server seeing a FIN or a
// RST. Private addresses, used only on the pair: nothing leaves the machine.
// Needs root, `ip` (iproute2) and `nft` (nftables); a step that fails throws,
// and everything made so far is removed, as it is when the object goes.
#pragma once

#include <string>
#include <vector>

namespace sp::testkit {

class NetnsPair {
 public:
  NetnsPair();
  ~NetnsPair();
  NetnsPair(const NetnsPair&) = delete;
  NetnsPair& operator=(const NetnsPair&) = delete;

  const std::string& HostAddress() const { return host_addr_; }  // this side of the pair
  // The prefix that runs a command inside the namespace.
  std::vector<std::string> Exec() const { return {"ip", "netns", "exec", name_}; }
  // Every packet into or out of the namespace is dropped, silently.
  void DropAll();
  void Restore();

 private:
  void Step(const std::vector<std::string>& cmd);  // throws with its stderr on failure
  void Remove();

  std::string name_;
  std::string host_if_;
  std::string ns_if_;
  std::string host_addr_;
  std::string ns_addr_;
};

}  // namespace sp::testkit
