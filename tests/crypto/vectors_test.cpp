#include "crypto/noise/vector_runner.h"

#include <doctest/doctest.h>

#include <string>

#include "test_util.h"

namespace sp::crypto::noise {
namespace {

const std::string kSubset =
    std::string(SEALPOST_SOURCE_DIR) + "/tests/vectors/noise-cacophony-subset.json";

std::string JoinFailures(const VectorReport& report) {
  std::string all;
  for (const auto& line : report.failures) all += line + "\n";
  return all;
}

TEST_CASE("every cacophony subset vector is reproduced message by message") {
  test::CryptoInit init;
  VectorReport report;
  std::string error;
  REQUIRE_MESSAGE(RunVectorFile(kSubset, &report, &error), error);
  INFO(JoinFailures(report));
  CHECK(report.passed == 24);
  CHECK(report.failed == 0);
  CHECK(report.skipped == 0);
}

// The first NN message carries only e and the clear payload, so this one
// message from the subset is valid for every cipher and hash.
constexpr const char* kNnVector = R"({
  "protocol_name": "Noise_NN_25519_ChaChaPoly_SHA256",
  "init_prologue": "4a6f686e2047616c74",
  "init_ephemeral": "893e28b9dc6ca8d611ab664754b8ceb7bac5117349a4439a6b0569da977c464a",
  "resp_prologue": "4a6f686e2047616c74",
  "resp_ephemeral": "bbdb4cdbd309f1a1f2e1456967fe288cadd6f712d65dc7b7793d5e63da6b375b",
  "messages": [
    {"payload": "4c756477696720766f6e204d69736573",
     "ciphertext": "ca35def5ae56cec33dc2036731ab14896bc4c75dbb07a61f879f8e3afa4c79444c756477696720766f6e204d69736573"}
  ]})";

TEST_CASE("the vector runner accepts a bare array and ignores unknown fields") {
  test::CryptoInit init;
  std::string doc = std::string("[") + kNnVector + "]";
  doc.insert(doc.find("\"messages\""), "\"comment\": {\"x\": [1, 2]}, ");
  VectorReport report;
  std::string error;
  REQUIRE_MESSAGE(RunVectorsJson(doc, &report, &error), error);
  CHECK(report.passed == 1);
  CHECK(report.failed == 0);
}

TEST_CASE("the vector runner builds the protocol name from older split fields") {
  test::CryptoInit init;
  std::string v = kNnVector;
  v.replace(v.find("\"protocol_name\": \"Noise_NN_25519_ChaChaPoly_SHA256\""),
            std::string("\"protocol_name\": \"Noise_NN_25519_ChaChaPoly_SHA256\"").size(),
            R"("name": "NN test", "pattern": "NN", "dh": "25519", "cipher": "ChaChaPoly",)"
            R"( "hash": "SHA256")");
  VectorReport report;
  std::string error;
  REQUIRE(RunVectorsJson("{\"vectors\": [" + v + "]}", &report, &error));
  CHECK(report.passed == 1);
}

TEST_CASE("unsupported protocols are skipped, broken vectors fail without stopping the run") {
  test::CryptoInit init;
  std::string wrong_ct = kNnVector;
  wrong_ct.replace(wrong_ct.find("ca35def5"), 8, "ca35def6");
  const std::string doc = std::string("{\"vectors\": [") +
                          R"({"protocol_name": "Noise_NN_448_ChaChaPoly_SHA256", "messages": []},)"
                          R"({"protocol_name": "Noise_XXfallback_25519_AESGCM_SHA256"},)"
                          R"({"protocol_name": "Noise_NNhfs_25519+Kyber1024_AESGCM_SHA256"},)"
                          R"({"protocol_name": "Noise_NN_25519_ChaChaPoly_SHA256", "messages": 3},)"
                          R"({"protocol_name": "Noise_NN_25519_ChaChaPoly_SHA256",)"
                          R"( "init_ephemeral": "abcd", "messages": []},)"
                          R"(42, {"no": "name"},)" +
                          wrong_ct + "," + kNnVector + "]}";
  VectorReport report;
  std::string error;
  REQUIRE(RunVectorsJson(doc, &report, &error));
  CHECK(report.skipped == 3);
  CHECK(report.failed == 5);
  CHECK(report.passed == 1);
  REQUIRE(report.failures.size() == 5);
  CHECK(report.failures[4].find("vector 7") == 0);
  CHECK(report.failures[4].find("message 0") != std::string::npos);
  CHECK(report.failures[4].find("ciphertext differs") != std::string::npos);
}

TEST_CASE("unreadable or non-JSON vector files are reported as errors") {
  VectorReport report;
  std::string error;
  CHECK_FALSE(RunVectorFile("/nonexistent/vectors.json", &report, &error));
  CHECK(error.find("cannot open") != std::string::npos);
  CHECK_FALSE(RunVectorsJson("{\"vectors\": [", &report, &error));
  CHECK_FALSE(RunVectorsJson("{\"other\": []}", &report, &error));
  CHECK_FALSE(RunVectorsJson("{\"vectors\": 1}", &report, &error));
}

}  // namespace
}  // namespace sp::crypto::noise
