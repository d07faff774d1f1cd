// Prometheus text exposition of the node's counters and gauges.
#pragma once

#include <string>

#include "connections/hub.h"
#include "services/services.h"

namespace sp::server {

std::string RenderMetrics(connections::Hub& hub, services::Services& services);

}  // namespace sp::server
