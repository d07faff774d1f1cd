// One entry of a client's events stream, copied out of its Redis reply (a
// reply lives only during its callback). Plain data: no hiredis here.
#pragma once

#include <cstdint>
#include <string>

#include "shared/messages.h"

namespace sp::services {

struct StreamEntry {
  std::string id;
  proto::EventFields fields;  // empty when the entry was deleted from the stream
  uint32_t delivery_count = 0;
};

}  // namespace sp::services
