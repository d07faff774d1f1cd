#include "shared/frame_decoder.h"

#include <algorithm>
#include <cstring>

namespace sp::proto {
namespace {

constexpr size_t kNoTerminator = std::string_view::npos;

size_t FindTerminator(std::string_view s) {
  const void* hit = std::memchr(s.data(), 0, s.size());
  return hit == nullptr ? kNoTerminator
                        : static_cast<size_t>(static_cast<const char*>(hit) - s.data());
}

// Gives the heap block back: an idle decoder (one per connection) must not
// pin up to max_frame_bytes of memory.
void Release(std::unique_ptr<std::string>* s) {
  s->reset();
}

}  // namespace

void FrameDecoder::Feed(std::string_view chunk) {
  // The previous frame view may point into assembled_; Feed ends its lifetime.
  Release(&assembled_);
  if (!too_large_) chunk_ = chunk;
}

FrameStatus FrameDecoder::Next(std::string_view* frame) {
  Release(&assembled_);
  if (too_large_) return FrameStatus::TooLarge;
  if (tail_) return NextWithTail(frame);
  while (!chunk_.empty()) {
    const size_t end = FindTerminator(chunk_);
    if (end == kNoTerminator) return BufferTail();
    if (end > max_frame_bytes_) return Fail();
    if (end == 0) {  // empty frame: nothing to deliver
      chunk_.remove_prefix(1);
      continue;
    }
    *frame = chunk_.substr(0, end);  // whole frame inside the chunk: no copy
    chunk_.remove_prefix(end + 1);
    return FrameStatus::Frame;
  }
  return FrameStatus::NeedMore;
}

// A frame started in an earlier chunk: either it completes in this chunk (and
// is assembled) or the whole chunk joins the tail.
FrameStatus FrameDecoder::NextWithTail(std::string_view* frame) {
  if (chunk_.empty()) return FrameStatus::NeedMore;
  const size_t end = FindTerminator(chunk_);
  if (end == kNoTerminator) return BufferTail();
  // Checked before copying so an oversized frame never costs memory.
  if (end > max_frame_bytes_ - tail_->size()) return Fail();
  // Reuse the tail's heap block for the assembled frame instead of copying it.
  assembled_ = std::move(tail_);
  assembled_->append(chunk_.data(), end);
  chunk_.remove_prefix(end + 1);
  *frame = *assembled_;
  return FrameStatus::Frame;
}

// Moves the unterminated rest of the chunk into tail_, if it fits.
FrameStatus FrameDecoder::BufferTail() {
  const size_t buffered = Buffered();
  if (chunk_.size() > max_frame_bytes_ - buffered) return Fail();
  if (!tail_) tail_ = std::make_unique<std::string>();
  const size_t needed = buffered + chunk_.size();
  if (needed > tail_->capacity()) {
    // Grow geometrically for byte-at-a-time input, but never beyond the limit:
    // the buffer's footprint stays bounded by max_frame_bytes.
    tail_->reserve(std::min(max_frame_bytes_, std::max(needed, 2 * tail_->capacity())));
  }
  tail_->append(chunk_);
  chunk_ = {};
  return FrameStatus::NeedMore;
}

FrameStatus FrameDecoder::Fail() {
  too_large_ = true;
  chunk_ = {};
  Release(&tail_);
  Release(&assembled_);
  return FrameStatus::TooLarge;
}

void AppendFrame(std::string_view payload, std::string* out) {
  out->reserve(out->size() + payload.size() + 1);
  out->append(payload);
  out->push_back('\0');
}

}  // namespace sp::proto
