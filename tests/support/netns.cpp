#include "tests/support/netns.h"

#include <unistd.h>

#include <fstream>
#include <stdexcept>

#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace sp::testkit {
namespace {
constexpr const char* kTable = "sp_halfopen";
}

// Names and a /24 from this process's id, so that parallel test processes
// do not collide: 10.231.N.1 here, 10.231.N.2 in the namespace.
NetnsPair::NetnsPair() {
  int pid = static_cast<int>(getpid());
  name_ = "sp-test-" + std::to_string(pid);
  host_if_ = "sph" + std::to_string(pid);  // interface names: 15 bytes at most
  ns_if_ = "spn" + std::to_string(pid);
  std::string net = "10.231." + std::to_string(pid % 250 + 1) + ".";
  host_addr_ = net + "1";
  ns_addr_ = net + "2";
  try {
    Step({"ip", "netns", "add", name_});
    Step({"ip", "link", "add", host_if_, "type", "veth", "peer", "name", ns_if_});
    Step({"ip", "link", "set", ns_if_, "netns", name_});
    Step({"ip", "addr", "add", host_addr_ + "/24", "dev", host_if_});
    Step({"ip", "link", "set", host_if_, "up"});
    Step({"ip", "netns", "exec", name_, "ip", "addr", "add", ns_addr_ + "/24", "dev", ns_if_});
    Step({"ip", "netns", "exec", name_, "ip", "link", "set", ns_if_, "up"});
    Step({"ip", "netns", "exec", name_, "ip", "link", "set", "lo", "up"});
  } catch (...) {
    Remove();
    throw;
  }
}

NetnsPair::~NetnsPair() {
  Remove();
}

void NetnsPair::DropAll() {
  TempDir dir;
  std::ofstream(dir.File("drop.nft"))
      << "table inet " << kTable << " {\n"
      << "  chain input { type filter hook input priority 0; policy drop; }\n"
      << "  chain output { type filter hook output priority 0; policy drop; }\n"
      << "}\n";
  Step({"ip", "netns", "exec", name_, "nft", "-f", dir.File("drop.nft")});
}

void NetnsPair::Restore() {
  Step({"ip", "netns", "exec", name_, "nft", "delete", "table", "inet", kTable});
}

void NetnsPair::Step(const std::vector<std::string>& cmd) {
  std::string out, err;
  int code = Run(cmd, &out, &err, std::chrono::seconds(10));
  if (code != 0) {
    std::string line;
    for (const auto& a : cmd) line.append(a).append(" ");
    throw std::runtime_error(std::string("network namespace setup failed (exit ")
                                 .append(std::to_string(code))
                                 .append("): ")
                                 .append(line)
                                 .append(err));
  }
}

// Deleting the namespace also deletes its end of the pair, and with it the
// other end; the explicit delete covers a namespace that was never made.
void NetnsPair::Remove() {
  Run({"ip", "netns", "del", name_}, nullptr, nullptr, std::chrono::seconds(10));
  Run({"ip", "link", "del", host_if_}, nullptr, nullptr, std::chrono::seconds(10));
}

}  // namespace sp::testkit
