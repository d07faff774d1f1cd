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

TEST_CASE("ParseRedisUrl: cluster and sentinel URLs list their seeds") {
  using sp::services::RedisTopology;
  RedisEndpoint ep;
  std::string error;
  REQUIRE(ParseRedisUrl("redis+cluster://:pw@10.0.0.1:7000,10.0.0.2:7001,h3", &ep, &error));
  CHECK(ep.topology == RedisTopology::kCluster);
  REQUIRE(ep.seeds.size() == 3);
  CHECK(ep.seeds[0].host == "10.0.0.1");
  CHECK(ep.seeds[0].port == 7000);
  CHECK(ep.seeds[1].port == 7001);
  CHECK(ep.seeds[2].host == "h3");
  CHECK(ep.seeds[2].port == 6379);
  CHECK(ep.host == "10.0.0.1");
  CHECK(ep.password == "pw");
  CHECK(RedactedUrl(ep) == "redis+cluster://:***@10.0.0.1:7000,10.0.0.2:7001,h3:6379");

  REQUIRE(ParseRedisUrl("redis+sentinel://s1:26379,s2:26380/mymaster/2", &ep, &error));
  CHECK(ep.topology == RedisTopology::kSentinel);
  CHECK(ep.master_name == "mymaster");
  CHECK(ep.db == 2);
  REQUIRE(ep.seeds.size() == 2);
  CHECK(ep.seeds[1].host == "s2");
  CHECK(ep.seeds[1].port == 26380);
  CHECK(RedactedUrl(ep) == "redis+sentinel://s1:26379,s2:26380/mymaster/2");
  REQUIRE(ParseRedisUrl("redis+sentinel://s1/main-1", &ep, &error));
  CHECK(ep.db == 0);

  struct Refused {
    const char* url;
    const char* reason;
  };
  for (const Refused& c : {Refused{"redis://a:1,b:2", "redis+cluster://"},
                           Refused{"redis+cluster://a:1/3", "database 0 only"},
                           Refused{"redis+cluster://a:1,b:x", "port"},
                           Refused{"redis+sentinel://s1:26379", "master-name"},
                           Refused{"redis+sentinel://s1:26379/", "master-name"},
                           Refused{"redis+sentinel://s1/bad name", "master-name"},
                           Refused{"redis+sentinel://s1/m/x", "database"}}) {
    CAPTURE(c.url);
    RedisEndpoint untouched;
    untouched.host = "untouched";
    CHECK_FALSE(ParseRedisUrl(c.url, &untouched, &error));
    CHECK(error.find(c.reason) != std::string::npos);
    CHECK(untouched.host == "untouched");
  }
}
