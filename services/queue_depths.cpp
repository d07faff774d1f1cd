#include "services/queue_depths.h"

#include <memory>

#include "services/redis_reply.h"

namespace sp::services {
namespace {

// Shared by the pipelined replies; the last one to arrive reports.
struct Survey {
  std::vector<QueueDepth> depths;
  size_t outstanding = 0;
  QueueDepths::Done done;

  void Settle() {
    if (--outstanding == 0) done(std::move(depths));
  }
};

uint64_t Length(const redisReply* r) {
  return (r && r->type == REDIS_REPLY_INTEGER && r->integer > 0) ? static_cast<uint64_t>(r->integer)
                                                                 : 0;
}

}  // namespace

void QueueDepths::Read(std::vector<std::string> clients, Done done) {
  if (clients.empty() || !link_.IsUp()) {
    std::vector<QueueDepth> depths;
    for (std::string& c : clients) depths.push_back({std::move(c), 0, 0});
    done(std::move(depths));
    return;
  }
  auto survey = std::make_shared<Survey>();
  survey->done = std::move(done);
  survey->depths.reserve(clients.size());
  for (std::string& c : clients) survey->depths.push_back({std::move(c), 0, 0});
  // One extra count keeps `done` from running before every command is sent.
  survey->outstanding = 1;
  for (size_t i = 0; i < survey->depths.size(); ++i) {
    const std::string& client = survey->depths[i].client;
    for (bool dead : {false, true}) {
      std::string key = dead ? keys_.Dead(client) : keys_.Events(client);
      bool sent = link_.Command({"XLEN", key}, [survey, i, dead](const redisReply* r) {
        (dead ? survey->depths[i].dead : survey->depths[i].queued) = Length(r);
        survey->Settle();
      });
      if (sent) ++survey->outstanding;
    }
  }
  survey->Settle();
}

}  // namespace sp::services
