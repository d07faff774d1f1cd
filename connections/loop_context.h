// What every connection of one event loop shares: settings, the Redis
// services, the server key, the timer wheel, the connection table, counters,
// the read and scratch buffers and the list of sockets with output to flush.
// The Hub owns it; connections, delivery and handlers hold a reference.
#pragma once

#include <uv.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "connections/buffer_pool.h"
#include "connections/connection_table.h"
#include "connections/settings.h"
#include "connections/starting_sessions.h"
#include "connections/stats.h"
#include "connections/timer_wheel.h"
#include "crypto/keys.h"
#include "services/services.h"
#include "shared/random.h"

namespace sp::connections {

class Connection;
class Delivery;

// What a connection reports to its owner. Connections talk upward only
// through this interface, so they never depend on the Hub.
class ConnectionEvents {
 public:
  // Message 1 arrived: true when the handshake may run now; otherwise the
  // owner parked the connection (Connection::Park) or refused it.
  virtual bool AdmitHandshake(Connection& conn, std::string_view first_frame) = 0;
  virtual void OnHandshakeEnded(Connection& conn) = 0;  // its handshake slot is free
  // The session start script admitted the client and started its session
  // (`start`): bind it as the client's session. The connection may be closed
  // on return (a newer session of the client was announced meanwhile).
  virtual void OnAuthenticated(Connection& conn, const services::SessionStart& start) = 0;
  // The script started a session whose connection had gone (or that the
  // server then refused): end it as if it had ended at once.
  virtual void OnStartAbandoned(const std::string& client, uint64_t session_id,
                                const services::SessionStart& start) = 0;
  virtual void OnClosing(Connection& conn) = 0;  // it leaves the session map
  virtual void OnClosed(Connection& conn) = 0;   // its handle is closed: free it
  // The delivery of a live session, for Redis callbacks that carry its id.
  virtual Delivery* FindDelivery(uint64_t conn_id) = 0;

 protected:
  ~ConnectionEvents() = default;
};

struct LoopContext;
// Handles one decrypted message of an active connection (connections/dispatch.h);
// installed by the owner, so the read path does not depend on the handlers above it.
using MessageHandler = void (*)(LoopContext& ctx, Connection& conn, std::string_view json);

struct LoopContext {
  static constexpr size_t kReadBufferBytes = 64 * 1024;
  static constexpr uint64_t kTickMs = 10;  // resolution of every connection deadline

  LoopContext(uv_loop_t* loop, const Settings& settings, services::Services& services,
              const crypto::KeyPair& server_key)
      : loop(loop),
        settings(settings),
        services(services),
        server_key(server_key),
        wheel(uv_now(loop), kTickMs),
        read_buffer(new char[kReadBufferBytes]) {}

  uint64_t NowMs() const { return uv_now(loop); }
  // Every connection reads into this one buffer: frames are handled before
  // the read callback returns and only an unterminated tail is copied.
  uv_buf_t ReadBuffer() { return uv_buf_init(read_buffer.get(), kReadBufferBytes); }
  // Room to decode or encrypt one frame; valid until the next call.
  uint8_t* Scratch(size_t size) {
    if (scratch.size() < size) scratch.resize(size);
    return scratch.data();
  }

  uv_loop_t* loop;
  const Settings& settings;
  services::Services& services;
  const crypto::KeyPair& server_key;
  ConnectionEvents* events = nullptr;   // set by the owner before the first accept
  MessageHandler on_message = nullptr;  // likewise
  TimerWheel wheel;
  ConnectionTable table;
  StartingSessions starting;  // session starts in Redis, not answered yet
  Stats stats;
  Rng rng;                         // jitter for resends and goaway
  std::vector<uint64_t> to_flush;  // connections with queued output, flushed once per iteration
  BufferPool buffers;              // the outboxes' buffers
  std::string message_scratch;     // one outgoing message's JSON at a time
  bool shutting_down = false;

 private:
  std::unique_ptr<char[]> read_buffer;
  std::vector<uint8_t> scratch;
};

}  // namespace sp::connections
