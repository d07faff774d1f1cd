// Groups of clients (sp:group:<name>, a set of client ids): messages to a
// whole group, who is in it, and the presence notices of groups that ask for
// them. Every copy goes through the members' mailboxes, so a group message is
// delivered like any event: queued, retried, acked, dead-lettered.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "services/keys.h"
#include "services/mailbox.h"
#include "services/redis_link.h"
#include "shared/messages.h"

namespace sp::services {

class Groups {
 public:
  enum class Result : uint8_t {
    Stored,         // in every member's stream (or refused by a full one)
    UnknownTarget,  // the group has no members
    Forbidden,      // the sender had to be a member and is not
    TooLarge,       // more than max_members
    Failed,         // Redis did not answer for some copy; resending is safe
  };
  struct Copies {
    uint32_t stored = 0;   // new entries in members' streams
    uint32_t refused = 0;  // members without a record or with a full stream
  };
  using DoneCallback = std::function<void(Result result, Copies copies)>;

  struct Message {
    std::string sender;
    std::string group;
    std::string id;  // the sender's message id: resends are stored once per member
    proto::EventFields fields;
    bool sender_must_be_member = true;
  };

  struct Member {
    std::string id;
    bool online = false;  // has a live session (sp:{ID}:presence)
  };

  Groups(RedisLink& link, const Keys& keys, Mailbox& mailbox, size_t max_members)
      : link_(link), keys_(keys), mailbox_(mailbox), max_members_(max_members) {}

  // Reads the members once, then puts one copy (with "from" and "to") into
  // every member's mailbox but the sender's: all copies leave in one write,
  // one round trip per batch, never one per member.
  void Send(Message message, DoneCallback cb);

  // Whether `client` belongs to `group`; nullopt when Redis did not answer.
  void IsMember(const std::string& group, const std::string& client,
                std::function<void(std::optional<bool>)> cb);

  // The members (at most max_members) and whether each is online.
  void Who(const std::string& group, std::function<void(std::optional<std::vector<Member>>)> cb);

  // `change` ("joined" / "left") of `client` to the other members of each of
  // `groups` whose options say presence=on.
  void NotifyPresence(const std::string& client, std::string_view change, const std::string& node,
                      const std::vector<std::string>& groups);

 private:
  void FanOut(const std::vector<std::string>& members, Message message, DoneCallback cb);

  RedisLink& link_;
  const Keys& keys_;
  Mailbox& mailbox_;
  size_t max_members_;
};

}  // namespace sp::services
