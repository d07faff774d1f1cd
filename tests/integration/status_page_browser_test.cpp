// The status page as a person sees it: headless Chromium (Debian's package)
// loads it from a server under simulated load, its charts must show live,
// non-zero data, and the screenshot it takes is the one docs/OPERATIONS.md
// shows (copied there by hand when the page changes).
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/support/http_get.h"
#include "tests/support/server_env.h"

using namespace sp::testkit;
using namespace std::chrono_literals;

namespace {

// Chromium as root needs --no-sandbox; virtual time runs the page's polling
// timers fast, pausing while a fetch is in flight, so 20 s of the page's
// time pass in a few seconds of ours and every poll reads real data.
std::vector<std::string> Chromium(const std::string& url, const std::string& action) {
  return {"chromium",
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--hide-scrollbars",
          "--window-size=1200,620",
          "--virtual-time-budget=20000",
          action,
          url};
}

}  // namespace

TEST_CASE("the status page shows live charts in a real browser") {
  int metrics_port = FreePort();
  ServerEnv env({"--metrics-listen", "127.0.0.1:" + std::to_string(metrics_port),
                 "--connect-rate-per-ip", "0", "--max-connections-per-ip", "0"});
  REQUIRE(WaitForPort(metrics_port, 5s));
  Process sim(
      {BinDir() + "/sealpost-sim", "--clients", "40", "--rate", "500", "--duration", "90",
       "--client-events", "20", "--server", "127.0.0.1:" + std::to_string(env.server.Port()),
       "--server-pk", env.server.PublicKey(), "--redis", env.redis.Url()},
      env.server.Dir() + "/sim");
  REQUIRE(env.Eventually(
      [&] {
        auto status = nlohmann::json::parse(HttpGet(metrics_port, "/status.json").body);
        return status["sessions"] == 40 && status["counters"]["delivered"].get<int>() > 0;
      },
      30s));
  const std::string url = "http://127.0.0.1:" + std::to_string(metrics_port) + "/";

  std::string dom;
  REQUIRE(Run(Chromium(url, "--dump-dom"), &dom, nullptr, 90s) == 0);
  CHECK(dom.find("data-live=\"true\"") != std::string::npos);
  CHECK(dom.find("class=\"badge ok\">ready<") != std::string::npos);

  const std::string shot = BinDir() + "/../status-page.png";
  std::remove(shot.c_str());
  REQUIRE(Run(Chromium(url, "--screenshot=" + shot), nullptr, nullptr, 90s) == 0);
  CHECK(ReadFile(shot).size() > 10000);  // a rendered page, not an empty canvas
  MESSAGE("screenshot: " << shot);
}
