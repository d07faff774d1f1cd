// The supervisor's side of its workers' private operator endpoints: GET a
// path from 127.0.0.1:<port> on the loop, with a deadline. Only for
// loopback peers this process started; it trusts them to answer sensibly
// but bounds the time and the size of the answer all the same.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <string>

namespace sp::server {

struct FetchResult {
  int status = 0;  // 0: no answer (refused, reset, timed out, not HTTP)
  std::string body;
};

class HttpFetcher {
 public:
  using Done = std::function<void(FetchResult)>;
  explicit HttpFetcher(uv_loop_t* loop) : loop_(loop) {}
  HttpFetcher(const HttpFetcher&) = delete;
  HttpFetcher& operator=(const HttpFetcher&) = delete;
  ~HttpFetcher() { CancelAll(); }

  // `done` runs exactly once, from the loop (never from inside Get).
  void Get(int port, const std::string& path, uint64_t timeout_ms, Done done);
  // Every fetch in flight ends now with status 0; call while the loop runs
  // (their memory goes in the close callbacks).
  void CancelAll();

 private:
  struct Fetch;
  void Finish(Fetch* f, FetchResult result);

  uv_loop_t* loop_;
  Fetch* first_ = nullptr;  // fetches in flight, so that CancelAll finds them
};

// Splits "HTTP/1.1 200 OK\r\n...\r\n\r\nbody"; false when it is not that.
bool ParseHttpResponse(const std::string& raw, FetchResult* out);

}  // namespace sp::server
