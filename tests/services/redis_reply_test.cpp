// Reading hiredis replies. The replies are real ones: RESP bytes, as Redis
// sends them, fed to hiredis' own reader.
#include "services/redis_reply.h"

#include <doctest/doctest.h>
#include <hiredis/hiredis.h>
#include <unistd.h>

#include <cstdio>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "shared/log.h"

using sp::services::IsError;
using sp::services::LogIfError;
using sp::services::ParseEntries;
using sp::services::ReplyText;
using sp::services::StreamEntry;

namespace {

// ---- RESP (protocol version 2, what hiredis 0.14 speaks) ---------------------

// Built by appending: "$" + std::to_string(...) trips GCC 12's false
// -Werror=restrict in optimised builds (bug 105329).
std::string Bulk(std::string_view s) {
  std::string out = "$";
  return out.append(std::to_string(s.size())).append("\r\n").append(s).append("\r\n");
}
std::string Array(std::initializer_list<std::string> items) {
  std::string out = "*";
  out.append(std::to_string(items.size())).append("\r\n");
  for (const std::string& item : items) out += item;
  return out;
}
std::string Integer(long long n) {
  std::string out = ":";
  return out.append(std::to_string(n)).append("\r\n");
}
const std::string kNilBulk = "$-1\r\n";
const std::string kNilArray = "*-1\r\n";
// One stream entry: [id, [field, value, ...]].
std::string Entry(std::string_view id, std::initializer_list<std::string_view> fields) {
  std::string body = "*";
  body.append(std::to_string(fields.size())).append("\r\n");
  for (std::string_view f : fields) body += Bulk(f);
  return Array({Bulk(id), body});
}

using ReplyPtr = std::unique_ptr<redisReply, void (*)(void*)>;

// Exactly one complete reply from `resp`.
ReplyPtr Read(const std::string& resp) {
  std::unique_ptr<redisReader, void (*)(redisReader*)> reader(redisReaderCreate(), redisReaderFree);
  REQUIRE(reader);
  REQUIRE(redisReaderFeed(reader.get(), resp.data(), resp.size()) == REDIS_OK);
  void* reply = nullptr;
  REQUIRE(redisReaderGetReply(reader.get(), &reply) == REDIS_OK);
  REQUIRE(reply != nullptr);
  ReplyPtr out(static_cast<redisReply*>(reply), freeReplyObject);
  void* more = nullptr;
  REQUIRE(redisReaderGetReply(reader.get(), &more) == REDIS_OK);
  REQUIRE(more == nullptr);  // the test wrote exactly one reply
  return out;
}

// Everything written to stderr (where log lines go) while it lives.
class StderrCapture {
 public:
  StderrCapture() : file_(std::tmpfile()), saved_(dup(2)) {
    std::fflush(stderr);
    dup2(fileno(file_), 2);
  }
  ~StderrCapture() {
    Restore();
    std::fclose(file_);
  }
  std::string Text() {
    Restore();
    std::string out;
    std::rewind(file_);
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, file_)) > 0) out.append(buf, n);
    return out;
  }

 private:
  void Restore() {
    if (saved_ < 0) return;
    std::fflush(stderr);
    dup2(saved_, 2);
    close(saved_);
    saved_ = -1;
  }
  std::FILE* file_;
  int saved_;
};

}  // namespace

TEST_CASE("ReplyText and IsError over every reply type") {
  struct Case {
    const char* name;
    std::string resp;
    std::string text;
    bool error;
  };
  const Case cases[] = {
      {"bulk string", Bulk("hello"), "hello", false},
      {"empty bulk string", Bulk(""), "", false},
      {"binary bulk string", Bulk(std::string("a\0b\r\nc", 6)), std::string("a\0b\r\nc", 6), false},
      {"status", "+OK\r\n", "OK", false},
      {"error", "-NOGROUP No such key\r\n", "NOGROUP No such key", true},
      {"integer", Integer(42), "", false},
      {"nil bulk", kNilBulk, "", false},
      {"nil array", kNilArray, "", false},
      {"array", Array({Bulk("a")}), "", false},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    ReplyPtr r = Read(c.resp);
    CHECK(ReplyText(r.get()) == c.text);
    CHECK(IsError(r.get()) == c.error);
  }
  // No reply at all: the link went down before it came.
  CHECK(ReplyText(nullptr).empty());
  CHECK(IsError(nullptr));
}

TEST_CASE("LogIfError logs error replies, with their text, and nothing else") {
  sp::log::Configure(sp::log::Level::Info, sp::log::Format::Text);
  {
    ReplyPtr r = Read("-BUSY Redis is busy running a script\r\n");
    StderrCapture captured;
    CHECK(LogIfError(r.get(), "redis.test_failed"));
    std::string text = captured.Text();
    CHECK(text.find("redis.test_failed") != std::string::npos);
    CHECK(text.find("BUSY Redis is busy running a script") != std::string::npos);
  }
  for (const std::string& resp :
       {Bulk("x"), std::string("+OK\r\n"), Integer(1), kNilBulk, Array({Bulk("a"), Bulk("b")})}) {
    CAPTURE(resp);
    ReplyPtr r = Read(resp);
    StderrCapture captured;
    CHECK_FALSE(LogIfError(r.get(), "redis.test_failed"));
    CHECK(captured.Text().empty());
  }
  StderrCapture captured;
  CHECK_FALSE(LogIfError(nullptr, "redis.test_failed"));  // the link reports a lost link
  CHECK(captured.Text().empty());
}

TEST_CASE("ParseEntries reads XRANGE-shaped entries, fields in order") {
  ReplyPtr r = Read(Array({
      Entry("1700000000000-0", {"type", "greeting", "data", "{\"hello\":1}"}),
      Entry("1700000000000-1", {"type", "t", "data", std::string("bin\0\r\n", 6)}),
      Entry("1700000000001-0", {}),
  }));
  std::vector<StreamEntry> entries;
  REQUIRE(ParseEntries(r.get(), &entries));
  REQUIRE(entries.size() == 3);
  CHECK(entries[0].id == "1700000000000-0");
  using Fields = sp::proto::EventFields;
  CHECK(entries[0].fields == Fields{{"type", "greeting"}, {"data", "{\"hello\":1}"}});
  CHECK(entries[1].id == "1700000000000-1");
  CHECK(entries[1].fields == Fields{{"type", "t"}, {"data", std::string("bin\0\r\n", 6)}});
  CHECK(entries[2].id == "1700000000001-0");
  CHECK(entries[2].fields.empty());
  for (const StreamEntry& e : entries) CHECK(e.delivery_count == 0);  // the caller's to set
}

TEST_CASE("ParseEntries: an entry deleted from the stream keeps its id, with no fields") {
  // XCLAIM of a pending entry that XDEL removed answers [id, nil].
  for (const std::string& nil : {kNilBulk, kNilArray}) {
    CAPTURE(nil);
    ReplyPtr r = Read(Array({
        Entry("5-0", {"type", "a"}),
        Array({Bulk("6-0"), nil}),
        Entry("7-0", {"type", "c"}),
    }));
    std::vector<StreamEntry> entries;
    REQUIRE(ParseEntries(r.get(), &entries));
    REQUIRE(entries.size() == 3);
    CHECK(entries[1].id == "6-0");
    CHECK(entries[1].fields.empty());
    CHECK(entries[2].id == "7-0");
    CHECK(entries[2].fields == sp::proto::EventFields{{"type", "c"}});
  }
}

TEST_CASE("ParseEntries: an empty array is no entries, and entries are appended") {
  std::vector<StreamEntry> entries(1);
  entries[0].id = "earlier";
  ReplyPtr empty = Read(Array({}));
  REQUIRE(ParseEntries(empty.get(), &entries));
  CHECK(entries.size() == 1);
  ReplyPtr one = Read(Array({Entry("1-1", {"k", "v"})}));
  REQUIRE(ParseEntries(one.get(), &entries));
  REQUIRE(entries.size() == 2);
  CHECK(entries[0].id == "earlier");
  CHECK(entries[1].id == "1-1");
}

TEST_CASE("ParseEntries refuses malformed replies") {
  struct Case {
    const char* name;
    std::string resp;
  };
  const Case cases[] = {
      {"nil instead of the array", kNilArray},
      {"an error", "-ERR wrong\r\n"},
      {"a string", Bulk("1-0")},
      {"an integer", Integer(0)},
      {"an entry that is a string", Array({Bulk("1-0")})},
      {"an entry that is nil", Array({Entry("1-0", {"k", "v"}), kNilBulk})},
      {"an entry without a body", Array({Array({Bulk("1-0")})})},
      {"an entry with three elements", Array({Array({Bulk("1-0"), Array({}), Bulk("x")})})},
      {"an empty entry", Array({Array({})})},
      {"an id that is an integer", Array({Array({Integer(1), Array({})})})},
      {"an id that is nil", Array({Array({kNilBulk, Array({})})})},
      {"an id that is a status", Array({Array({"+1-0\r\n", Array({})})})},
      {"a good entry, then a bad one", Array({Entry("1-0", {"k", "v"}), Integer(7)})},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    ReplyPtr r = Read(c.resp);
    std::vector<StreamEntry> entries;
    CHECK_FALSE(ParseEntries(r.get(), &entries));
  }
  std::vector<StreamEntry> entries;
  CHECK_FALSE(ParseEntries(nullptr, &entries));
  CHECK(entries.empty());
}
