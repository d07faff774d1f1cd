// Fuzzes proto::FrameDecoder (shared/frame_decoder.h).
//
// Input layout (FuzzedDataProvider): the last byte is max_frame_bytes
// (0..255, small so that TooLarge is reached); then, working backwards from
// the end, one byte per piece gives the piece's size (0..32); the pieces'
// bytes are taken from the front. The stream is the pieces concatenated.
//
// Beyond "no crash", it checks:
// - the frames and the final state match a reference model of the framing
//   rules (split on 0x00, empty frames skipped, a frame or unterminated tail
//   longer than max_frame_bytes is TooLarge);
// - the same stream fed in those pieces and fed whole gives the same frames
//   and the same final state;
// - every frame is 1..max_frame_bytes bytes and holds no 0x00;
// - Buffered() never exceeds max_frame_bytes, and at the end equals the
//   unterminated tail;
// - TooLarge is sticky (the header: "the decoder stays in this state"): later
//   Feed/Next calls give nothing else, and nothing stays buffered;
// - fed whole, every frame is a view into the caller's chunk (no copy);
// - AppendFrame of the frames decodes back to the same frames.
// Each piece is its own heap block so ASan sees reads past a piece's end.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "shared/frame_decoder.h"
#include "tests/fuzz/check.h"

using sp::proto::FrameDecoder;
using sp::proto::FrameStatus;

namespace {

struct Outcome {
  std::vector<std::string> frames;
  bool too_large = false;
  size_t buffered = 0;  // bytes held at the end (0 once TooLarge)
  bool operator==(const Outcome&) const = default;
};

// The framing rules of docs/PROTOCOL.md §1, written as plainly as possible.
Outcome Model(std::string_view stream, size_t max) {
  Outcome out;
  size_t pos = 0;
  while (true) {
    const size_t end = stream.find('\0', pos);
    if (end == std::string_view::npos) {
      const size_t tail = stream.size() - pos;
      if (tail > max) {
        out.too_large = true;
      } else {
        out.buffered = tail;
      }
      return out;
    }
    const size_t len = end - pos;
    if (len > max) {
      out.too_large = true;
      return out;
    }
    if (len > 0) out.frames.emplace_back(stream.substr(pos, len));
    pos = end + 1;
  }
}

// Feeds the chunks in order, draining after each. If `whole` is set (a
// single chunk), frames must point into it.
Outcome Run(const std::vector<std::string>& chunks, size_t max, bool whole) {
  FrameDecoder decoder(max);
  FUZZ_CHECK(decoder.MaxFrameBytes() == max);
  FUZZ_CHECK(decoder.Buffered() == 0);
  Outcome out;
  for (const std::string& chunk : chunks) {
    decoder.Feed(chunk);
    while (true) {
      std::string_view frame;
      const FrameStatus status = decoder.Next(&frame);
      FUZZ_CHECK(decoder.Buffered() <= max);
      if (status == FrameStatus::Frame) {
        FUZZ_CHECK(!out.too_large);
        FUZZ_CHECK(!frame.empty() && frame.size() <= max);
        FUZZ_CHECK(std::memchr(frame.data(), 0, frame.size()) == nullptr);
        if (whole) {
          FUZZ_CHECK(frame.data() >= chunk.data() &&
                     frame.data() + frame.size() <= chunk.data() + chunk.size());
        }
        out.frames.emplace_back(frame);
        continue;
      }
      if (status == FrameStatus::TooLarge) {
        out.too_large = true;
        FUZZ_CHECK(decoder.Buffered() == 0);
        // Sticky: asking again changes nothing.
        FUZZ_CHECK(decoder.Next(&frame) == FrameStatus::TooLarge);
      } else {
        FUZZ_CHECK(status == FrameStatus::NeedMore);
        FUZZ_CHECK(!out.too_large);
      }
      break;
    }
  }
  out.buffered = decoder.Buffered();
  if (out.too_large) {
    // Still sticky after more input, even input that is a valid frame.
    decoder.Feed(std::string_view("a\0", 2));
    std::string_view frame;
    FUZZ_CHECK(decoder.Next(&frame) == FrameStatus::TooLarge);
    FUZZ_CHECK(decoder.Buffered() == 0);
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider provider(data, size);
  const size_t max = provider.ConsumeIntegral<uint8_t>();
  std::vector<std::string> pieces;
  std::string stream;
  while (provider.remaining_bytes() > 0) {
    const size_t n = provider.ConsumeIntegralInRange<size_t>(0, 32);
    pieces.push_back(provider.ConsumeBytesAsString(n));
    stream += pieces.back();
  }

  const Outcome expected = Model(stream, max);
  FUZZ_CHECK(Run(pieces, max, /*whole=*/false) == expected);
  FUZZ_CHECK(Run({stream}, max, /*whole=*/true) == expected);

  // The frames re-encoded with AppendFrame decode to themselves.
  std::string encoded;
  for (const std::string& frame : expected.frames) sp::proto::AppendFrame(frame, &encoded);
  Outcome again = Run({encoded}, max, /*whole=*/true);
  FUZZ_CHECK(again.frames == expected.frames && !again.too_large && again.buffered == 0);
  return 0;
}
