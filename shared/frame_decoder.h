// Incremental decoder for sealpost frames: bytes up to a single 0x00.
// Pure: no I/O, no allocation for frames that arrive whole in one chunk.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace sp::proto {

enum class FrameStatus : uint8_t {
  Frame,     // *frame holds one complete frame (without its 0x00)
  NeedMore,  // the chunk is used up; an unterminated tail (if any) is buffered
  TooLarge,  // a frame exceeded max_frame_bytes; the decoder stays in this state
};

class FrameDecoder {
 public:
  explicit FrameDecoder(size_t max_frame_bytes) : max_frame_bytes_(max_frame_bytes) {}

  // Hands the decoder the next chunk of the stream. The chunk must stay valid
  // until Next() returns NeedMore. Empty frames (0x00 0x00) are skipped.
  void Feed(std::string_view chunk);

  // Frames are returned as views into the chunk or the internal tail buffer,
  // valid until the next call to Next() or Feed().
  [[nodiscard]] FrameStatus Next(std::string_view* frame);

  // Bytes buffered from earlier chunks (an idle decoder holds none).
  size_t Buffered() const { return tail_ ? tail_->size() : 0; }
  size_t MaxFrameBytes() const { return max_frame_bytes_; }
  // Raises the limit (e.g. once a peer is authenticated); a lower value is
  // ignored, so what is already buffered stays within the limit.
  void RaiseMaxFrameBytes(size_t max_frame_bytes) {
    if (max_frame_bytes > max_frame_bytes_) max_frame_bytes_ = max_frame_bytes;
  }

 private:
  FrameStatus NextWithTail(std::string_view* frame);
  FrameStatus BufferTail();
  FrameStatus Fail();

  size_t max_frame_bytes_;
  std::string_view chunk_;
  // Heap-allocated only while in use: one decoder lives in every connection,
  // and an idle one must cost as little as possible (8 bytes each, not 32).
  std::unique_ptr<std::string> tail_;       // unterminated frame carried across chunks
  std::unique_ptr<std::string> assembled_;  // tail + head of the next chunk, for the view
  bool too_large_ = false;
};

// Appends `payload` and the terminating 0x00. The payload must not contain 0x00
// (base64 and JSON never do).
void AppendFrame(std::string_view payload, std::string* out);

}  // namespace sp::proto
