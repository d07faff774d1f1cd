#include "services/revocations.h"

namespace sp::services {

void Revocations::Watch(ChangedHandler on_changed, std::function<void()> on_resubscribed) {
  std::string prefix = "__keyspace@" + std::to_string(db_) + "__:";
  subscriber_.PSubscribe(
      prefix + keys_.ClientPattern(),
      [this, prefix, on_changed](std::string_view channel, std::string_view) {
        std::string client;
        if (channel.substr(0, prefix.size()) != prefix) return;
        if (keys_.ParseClientKey(channel.substr(prefix.size()), &client)) on_changed(client);
      },
      std::move(on_resubscribed));
}

}  // namespace sp::services
