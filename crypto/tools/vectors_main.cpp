// sealpost-vectors FILE.json: replays Noise test vectors (cacophony format)
// against crypto/noise and reports "N passed, M failed, K skipped".
#include <cstdio>
#include <string>

#include "crypto/keys.h"
#include "crypto/noise/vector_runner.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s VECTORS.json\n", argv[0]);
    return 1;
  }
  if (!sp::crypto::InitCrypto()) {
    std::fprintf(stderr, "sealpost-vectors: libsodium failed to initialise\n");
    return 1;
  }
  sp::crypto::noise::VectorReport report;
  std::string error;
  if (!sp::crypto::noise::RunVectorFile(argv[1], &report, &error)) {
    std::fprintf(stderr, "sealpost-vectors: %s\n", error.c_str());
    return 1;
  }
  for (const std::string& line : report.failures) std::fprintf(stderr, "%s\n", line.c_str());
  std::printf("%zu passed, %zu failed, %zu skipped\n", report.passed, report.failed,
              report.skipped);
  return report.failed == 0 ? 0 : 1;
}
