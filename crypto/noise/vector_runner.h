// Replays Noise test vectors in the cacophony JSON format (as also used by
// snow): both sides of every vector are run, and each message must match
// byte for byte. Shared by the sealpost-vectors tool and the unit tests.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace sp::crypto::noise {

struct VectorReport {
  size_t passed = 0;
  size_t failed = 0;
  size_t skipped = 0;  // protocols IsSupportedProtocol() rejects
  // One line per failed vector: index, protocol, message index and what differed.
  std::vector<std::string> failures;
};

// Runs the vectors of a document {"vectors": [...]} or a bare array. Returns
// false with `error` set only if the document itself is unusable; a broken
// vector counts as failed instead.
[[nodiscard]] bool RunVectorsJson(std::string_view json_text, VectorReport* report,
                                  std::string* error);
[[nodiscard]] bool RunVectorFile(const std::string& path, VectorReport* report, std::string* error);

}  // namespace sp::crypto::noise
