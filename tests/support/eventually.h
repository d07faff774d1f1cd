// Waiting for a condition instead of sleeping for a guessed time.
#pragma once

#include <chrono>
#include <thread>

namespace sp::testkit {

// Polls `pred` until it holds or `timeout` passes; returns its last answer.
template <class Pred>
bool Eventually(Pred pred, std::chrono::milliseconds timeout = std::chrono::seconds(5),
                std::chrono::milliseconds every = std::chrono::milliseconds(20)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(every);
  }
  return pred();
}

}  // namespace sp::testkit
