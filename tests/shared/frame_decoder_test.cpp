#include "shared/frame_decoder.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <string>
#include <string_view>
#include <vector>

using sp::proto::AppendFrame;
using sp::proto::FrameDecoder;
using sp::proto::FrameStatus;

namespace {

constexpr size_t kMax = 64;

struct Decoded {
  std::vector<std::string> frames;
  FrameStatus last = FrameStatus::NeedMore;
  size_t max_buffered = 0;  // largest Buffered() seen between calls
};

// Feeds `chunks` in order and drains the decoder after each one, copying the
// frames out (views die on the next call).
Decoded DecodeChunks(const std::vector<std::string_view>& chunks, size_t max = kMax) {
  FrameDecoder decoder(max);
  Decoded out;
  for (std::string_view chunk : chunks) {
    decoder.Feed(chunk);
    std::string_view frame;
    while ((out.last = decoder.Next(&frame)) == FrameStatus::Frame) {
      out.frames.emplace_back(frame);
      out.max_buffered = std::max(out.max_buffered, decoder.Buffered());
    }
    out.max_buffered = std::max(out.max_buffered, decoder.Buffered());
    if (out.last == FrameStatus::TooLarge) break;
  }
  return out;
}

// Splits `stream` into chunks at the given ascending cut offsets.
std::vector<std::string_view> SplitAt(std::string_view stream, const std::vector<size_t>& cuts) {
  std::vector<std::string_view> chunks;
  size_t start = 0;
  for (size_t cut : cuts) {
    chunks.push_back(stream.substr(start, cut - start));
    start = cut;
  }
  chunks.push_back(stream.substr(start));
  return chunks;
}

// Frames of varied sizes: single bytes, mid-sized, exactly kMax, and empty
// frames (which the decoder must skip) at the start, middle and end.
struct Corpus {
  std::string stream;
  std::vector<std::string> expected;
};

Corpus MakeCorpus() {
  Corpus c;
  c.stream.push_back('\0');  // leading empty frame
  const std::vector<size_t> sizes = {1, 2, 7, 0, 15, 16, 17, 0, 0, 31, kMax, 1, kMax - 1, 40, 0, 3};
  char fill = 'a';
  for (size_t size : sizes) {
    std::string payload(size, fill);
    if (size > 2) payload[size / 2] = static_cast<char>(0xff);  // non-ASCII bytes pass through
    fill = fill == 'z' ? 'a' : static_cast<char>(fill + 1);
    AppendFrame(payload, &c.stream);
    if (!payload.empty()) c.expected.push_back(payload);
  }
  c.stream.push_back('\0');  // trailing empty frame
  return c;
}

}  // namespace

TEST_CASE("AppendFrame terminates the payload with a single 0x00") {
  std::string out = "x";
  out.push_back('\0');
  AppendFrame("hello", &out);
  AppendFrame("", &out);
  CHECK(out == std::string("x\0hello\0\0", 9));
}

TEST_CASE("whole stream in one chunk") {
  const Corpus c = MakeCorpus();
  const Decoded d = DecodeChunks({c.stream});
  CHECK(d.last == FrameStatus::NeedMore);
  CHECK(d.frames == c.expected);
}

TEST_CASE("one byte at a time") {
  const Corpus c = MakeCorpus();
  std::vector<std::string_view> chunks;
  for (size_t i = 0; i < c.stream.size(); ++i)
    chunks.push_back(std::string_view(c.stream).substr(i, 1));
  const Decoded d = DecodeChunks(chunks);
  CHECK(d.last == FrameStatus::NeedMore);
  CHECK(d.frames == c.expected);
  CHECK(d.max_buffered <= kMax);
}

TEST_CASE("split into two chunks at every byte boundary") {
  const Corpus c = MakeCorpus();
  for (size_t cut = 0; cut <= c.stream.size(); ++cut) {
    CAPTURE(cut);
    const Decoded d = DecodeChunks(SplitAt(c.stream, {cut}));
    CHECK(d.last == FrameStatus::NeedMore);
    CHECK(d.frames == c.expected);
  }
}

TEST_CASE("random chunkings with a fixed seed") {
  const Corpus c = MakeCorpus();
  std::mt19937 rng(12345);
  for (int round = 0; round < 500; ++round) {
    CAPTURE(round);
    std::uniform_int_distribution<size_t> count(1, 20);
    std::uniform_int_distribution<size_t> offset(0, c.stream.size());
    std::vector<size_t> cuts(count(rng));
    for (size_t& cut : cuts) cut = offset(rng);
    std::sort(cuts.begin(), cuts.end());  // duplicates give empty chunks, also valid
    const Decoded d = DecodeChunks(SplitAt(c.stream, cuts));
    CHECK(d.last == FrameStatus::NeedMore);
    CHECK(d.frames == c.expected);
    CHECK(d.max_buffered <= kMax);
  }
}

TEST_CASE("frames inside one chunk are views into it") {
  const std::string stream = std::string("abc\0de\0", 7);
  FrameDecoder decoder(kMax);
  decoder.Feed(stream);
  std::string_view frame;
  REQUIRE(decoder.Next(&frame) == FrameStatus::Frame);
  CHECK(frame == "abc");
  CHECK(frame.data() == stream.data());
  REQUIRE(decoder.Next(&frame) == FrameStatus::Frame);
  CHECK(frame.data() == stream.data() + 4);
  CHECK(decoder.Next(&frame) == FrameStatus::NeedMore);
}

TEST_CASE("a frame split across chunks is assembled and the tail released") {
  FrameDecoder decoder(kMax);
  std::string_view frame;
  decoder.Feed("hel");
  CHECK(decoder.Next(&frame) == FrameStatus::NeedMore);
  CHECK(decoder.Buffered() == 3);
  const std::string rest = std::string("lo\0next\0", 8);
  decoder.Feed(rest);
  REQUIRE(decoder.Next(&frame) == FrameStatus::Frame);
  CHECK(frame == "hello");
  CHECK(decoder.Buffered() == 0);
  REQUIRE(decoder.Next(&frame) == FrameStatus::Frame);
  CHECK(frame == "next");
  CHECK(decoder.Next(&frame) == FrameStatus::NeedMore);
  CHECK(decoder.Buffered() == 0);
}

TEST_CASE("a buffered tail of exactly the limit is accepted") {
  FrameDecoder decoder(kMax);
  std::string_view frame;
  const std::string body(kMax, 'x');
  decoder.Feed(body);
  CHECK(decoder.Next(&frame) == FrameStatus::NeedMore);
  CHECK(decoder.Buffered() == kMax);
  decoder.Feed(std::string_view("\0", 1));
  REQUIRE(decoder.Next(&frame) == FrameStatus::Frame);
  CHECK(frame == body);
  CHECK(decoder.Next(&frame) == FrameStatus::NeedMore);
  CHECK(decoder.Buffered() == 0);
}

TEST_CASE("over-long frames are TooLarge however they are chunked") {
  struct Case {
    const char* name;
    size_t chunk_size;  // 0: the whole stream in one chunk
  };
  const Case cases[] = {{"whole", 0}, {"bytewise", 1}, {"pieces of 7", 7}, {"pieces of max", kMax}};
  std::string stream;
  AppendFrame("ok", &stream);
  AppendFrame(std::string(kMax + 1, 'x'), &stream);
  AppendFrame("never", &stream);
  for (const Case& tc : cases) {
    CAPTURE(tc.name);
    const size_t step = tc.chunk_size == 0 ? stream.size() : tc.chunk_size;
    std::vector<std::string_view> chunks;
    for (size_t i = 0; i < stream.size(); i += step)
      chunks.push_back(std::string_view(stream).substr(i, step));
    const Decoded d = DecodeChunks(chunks);
    CHECK(d.last == FrameStatus::TooLarge);
    CHECK(d.frames == std::vector<std::string>{"ok"});
    CHECK(d.max_buffered <= kMax);
  }
}

TEST_CASE("a growing tail without 0x00 is cut off at the limit") {
  FrameDecoder decoder(kMax);
  const std::string piece(5, 'y');
  std::string_view frame;
  FrameStatus status = FrameStatus::NeedMore;
  size_t fed = 0;
  while (status == FrameStatus::NeedMore) {
    decoder.Feed(piece);
    fed += piece.size();
    status = decoder.Next(&frame);
    CHECK(decoder.Buffered() <= kMax);
    REQUIRE(fed <= kMax + piece.size());  // TooLarge must come as soon as the limit is passed
  }
  CHECK(status == FrameStatus::TooLarge);
  CHECK(fed > kMax);
  CHECK(decoder.Buffered() == 0);  // the partial frame is dropped, not kept
}

TEST_CASE("TooLarge is permanent") {
  FrameDecoder decoder(4);
  std::string_view frame;
  decoder.Feed(std::string_view("12345\0", 6));
  CHECK(decoder.Next(&frame) == FrameStatus::TooLarge);
  CHECK(decoder.Next(&frame) == FrameStatus::TooLarge);
  decoder.Feed(std::string_view("ok\0", 3));
  CHECK(decoder.Next(&frame) == FrameStatus::TooLarge);
  CHECK(decoder.Buffered() == 0);
}

TEST_CASE("a limit of zero rejects every non-empty frame") {
  FrameDecoder decoder(0);
  std::string_view frame;
  decoder.Feed(std::string_view("\0\0", 2));
  CHECK(decoder.Next(&frame) == FrameStatus::NeedMore);
  decoder.Feed("a");
  CHECK(decoder.Next(&frame) == FrameStatus::TooLarge);
}

TEST_CASE("an idle decoder holds nothing") {
  FrameDecoder decoder(kMax);
  std::string_view frame;
  CHECK(decoder.Next(&frame) == FrameStatus::NeedMore);  // nothing fed yet
  decoder.Feed("");
  CHECK(decoder.Next(&frame) == FrameStatus::NeedMore);
  const Corpus c = MakeCorpus();
  for (size_t i = 0; i < c.stream.size(); i += 3) {
    decoder.Feed(std::string_view(c.stream).substr(i, 3));
    while (decoder.Next(&frame) == FrameStatus::Frame) {
    }
  }
  CHECK(decoder.Buffered() == 0);
  CHECK(decoder.MaxFrameBytes() == kMax);
}
