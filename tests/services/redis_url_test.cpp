// --redis URLs: redis://[[user]:password@]host[:port][/db].
#include <doctest/doctest.h>

#include <string>

#include "services/redis_endpoint.h"

using sp::services::ParseRedisUrl;
using sp::services::RedactedUrl;
using sp::services::RedisEndpoint;

TEST_CASE("ParseRedisUrl: accepted URLs") {
  struct Case {
    const char* url;
    const char* host;
    int port;
    const char* username;
    const char* password;
    int db;
  };
  const Case cases[] = {
      {"redis://", "127.0.0.1", 6379, "", "", 0},
      {"redis://localhost", "localhost", 6379, "", "", 0},
      {"redis://10.0.0.7:6380", "10.0.0.7", 6380, "", "", 0},
      {"redis://redis.internal:1/15", "redis.internal", 1, "", "", 15},
      {"redis://h:65535/0", "h", 65535, "", "", 0},
      {"redis://h/", "h", 6379, "", "", 0},
      {"redis://h/3", "h", 6379, "", "", 3},
      {"redis://:7000", "127.0.0.1", 7000, "", "", 0},
      // A password alone, with or without the colon of an empty user name.
      {"redis://secret@h", "h", 6379, "", "secret", 0},
      {"redis://:secret@h:6390/2", "h", 6390, "", "secret", 2},
      // Redis 6 ACL user.
      {"redis://app:secret@h", "h", 6379, "app", "secret", 0},
      {"redis://app:@h", "h", 6379, "app", "", 0},
      // The first colon ends the user; the last @ ends the password.
      {"redis://app:pa:ss@h", "h", 6379, "app", "pa:ss", 0},
      {"redis://app:p@ss@h:7001", "h", 7001, "app", "p@ss", 0},
      {"redis://:a/b@h/4", "h", 6379, "", "a/b", 4},
  };
  for (const Case& c : cases) {
    CAPTURE(c.url);
    RedisEndpoint ep;
    std::string error;
    REQUIRE(ParseRedisUrl(c.url, &ep, &error));
    CHECK(error.empty());
    CHECK(ep.host == c.host);
    CHECK(ep.port == c.port);
    CHECK(ep.username == c.username);
    CHECK(ep.password == c.password);
    CHECK(ep.db == c.db);
  }
}

TEST_CASE("ParseRedisUrl: refused URLs say why and leave the endpoint alone") {
  struct Case {
    const char* url;
    const char* reason;  // part of the error text
  };
  const Case cases[] = {
      {"", "redis://"},
      {"localhost:6379", "redis://"},
      {"http://h:6379", "redis://"},
      {"rediss://h:6380", "redis://"},  // TLS is not supported
      {"redis:/h", "redis://"},
      {"redis://h:", "port"},
      {"redis://h:0", "port"},
      {"redis://h:65536", "port"},
      {"redis://h:-1", "port"},
      {"redis://h:63x9", "port"},
      {"redis://h: 6379", "port"},
      {"redis://h:99999999999", "port"},
      {"redis://h/x", "database"},
      {"redis://h/-1", "database"},
      {"redis://h/1x", "database"},
      {"redis://h:6379/0?timeout=1", "database"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.url);
    RedisEndpoint ep;
    ep.host = "untouched";
    std::string error;
    CHECK_FALSE(ParseRedisUrl(c.url, &ep, &error));
    CHECK(error.find(c.reason) != std::string::npos);
    CHECK(ep.host == "untouched");
  }
}

TEST_CASE("RedactedUrl never shows the password") {
  struct Case {
    const char* url;
    const char* redacted;
  };
  const Case cases[] = {
      {"redis://h", "redis://h:6379/0"},
      {"redis://s3cr3t@h:7000/2", "redis://:***@h:7000/2"},
      {"redis://app:s3cr3t@h", "redis://app:***@h:6379/0"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.url);
    RedisEndpoint ep;
    std::string error;
    REQUIRE(ParseRedisUrl(c.url, &ep, &error));
    std::string redacted = RedactedUrl(ep);
    CHECK(redacted == c.redacted);
    CHECK(redacted.find("s3cr3t") == std::string::npos);
    // What is logged parses back to the same place.
    RedisEndpoint again;
    REQUIRE(ParseRedisUrl(redacted, &again, &error));
    CHECK(again.host == ep.host);
    CHECK(again.port == ep.port);
    CHECK(again.db == ep.db);
  }
}
