// Unit tests of natss3d's connection-layer logic: request head scanning and limits, body
// framing, the redaction of request targets in the logs, admission keys and the limit flags.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "s3d/config.h"
#include "s3d/connection_hub.h"
#include "s3d/hub_connection.h"
#include "s3d/log_redact.h"
#include "s3d/request_head.h"

namespace natss3::s3d {
namespace {

using State = HeadScanner::State;

// Feeds `text` one byte at a time (as a slow client sends it); returns the final state.
State ScanByteByByte(HeadScanner& scanner, const std::string& text) {
  State state = State::kPending;
  for (size_t i = 1; i <= text.size() && state == State::kPending; ++i) {
    state = scanner.Scan(std::string_view(text).substr(0, i));
  }
  return state;
}

TEST(HeadScanner, FindsTheEndOfTheHeadWhereHttplibDoes) {
  HeadScanner scanner;
  std::string head = "GET /b/k HTTP/1.1\r\nHost: x\r\n\r\n";
  EXPECT_EQ(ScanByteByByte(scanner, head), State::kComplete);
  EXPECT_EQ(scanner.head().length, head.size());
  EXPECT_EQ(scanner.head().body, RequestHead::Body::kNone);

  // A header line ending in a bare '\n' is skipped by httplib, not taken as the end; the head
  // ends at the next "\r\n" line.
  scanner.Reset();
  std::string odd = "GET / HTTP/1.1\r\nA: b\n\r\nNext";
  EXPECT_EQ(scanner.Scan(odd), State::kComplete);
  EXPECT_EQ(scanner.head().length, odd.size() - 4);
  scanner.Reset();
  EXPECT_EQ(scanner.Scan("GET / HTTP/1.1\r\nA: b\n\n"), State::kPending);
}

TEST(HeadScanner, CapsHeaderCountAndSize) {
  HeadLimits limits;
  limits.max_headers = 3;
  limits.max_bytes = 100;
  HeadScanner scanner(limits);
  EXPECT_EQ(scanner.Scan("GET / HTTP/1.1\r\na: 1\r\nb: 2\r\nc: 3\r\n\r\n"), State::kComplete);
  scanner.Reset();
  EXPECT_EQ(scanner.Scan("GET / HTTP/1.1\r\na: 1\r\nb: 2\r\nc: 3\r\nd: 4\r\n"), State::kRejected);
  EXPECT_EQ(scanner.error(), HeadError::kTooManyHeaders);
  // One long line without a newline is refused as soon as the limit is reached.
  scanner.Reset();
  EXPECT_EQ(scanner.Scan(std::string(99, 'a')), State::kPending);
  EXPECT_EQ(scanner.Scan(std::string(100, 'a')), State::kRejected);
  EXPECT_EQ(scanner.error(), HeadError::kTooLarge);
  // Exactly at the limit is fine.
  scanner.Reset();
  std::string head = "GET / HTTP/1.1\r\nx: " + std::string(100 - 16 - 3 - 2 - 2, 'v') + "\r\n\r\n";
  ASSERT_EQ(head.size(), 100u);
  EXPECT_EQ(scanner.Scan(head), State::kComplete);
}

TEST(HeadScanner, ReadsFramingHeaders) {
  HeadScanner scanner;
  ASSERT_EQ(scanner.Scan("PUT /b/k HTTP/1.1\r\ncontent-length:  12 \r\nExpect: 100-continue\r\n\r\n"),
            State::kComplete);
  EXPECT_EQ(scanner.head().body, RequestHead::Body::kLength);
  EXPECT_EQ(scanner.head().content_length, 12u);
  EXPECT_TRUE(scanner.head().expect_continue);
  EXPECT_EQ(scanner.head().method, "PUT");
  scanner.Reset();
  ASSERT_EQ(scanner.Scan("PUT / HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n"), State::kComplete);
  EXPECT_EQ(scanner.head().body, RequestHead::Body::kChunked);
  EXPECT_FALSE(scanner.head().close_after);
  scanner.Reset();
  ASSERT_EQ(scanner.Scan("PUT / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"),
            State::kComplete);
  EXPECT_EQ(scanner.head().body, RequestHead::Body::kChunked);
  EXPECT_TRUE(scanner.head().close_after) << "both framings: close after the response";
  scanner.Reset();
  ASSERT_EQ(scanner.Scan("PUT / HTTP/1.1\r\nContent-Length: 0\r\nContent-Length: 0\r\n\r\n"),
            State::kComplete);
  EXPECT_EQ(scanner.head().body, RequestHead::Body::kNone);
}

TEST(HeadScanner, RefusesAmbiguousFraming) {
  struct Case {
    std::string headers;
    HeadError error;
  } cases[] = {
      {"Content-Length: 5\r\nContent-Length: 6\r\n", HeadError::kBadFraming},
      {"Content-Length: -1\r\n", HeadError::kBadFraming},
      {"Content-Length: +5\r\n", HeadError::kBadFraming},
      {"Content-Length: 5x\r\n", HeadError::kBadFraming},
      {"Content-Length: %35\r\n", HeadError::kBadFraming},
      {"Content-Length: 99999999999999999999\r\n", HeadError::kBadFraming},
      {"Transfer-Encoding: gzip, chunked\r\n", HeadError::kNotImplemented},
      {"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", HeadError::kNotImplemented},
      {"Transfer-Encoding: identity\r\n", HeadError::kNotImplemented},
  };
  for (const Case& c : cases) {
    HeadScanner scanner;
    EXPECT_EQ(scanner.Scan("PUT /b/k HTTP/1.1\r\n" + c.headers + "\r\n"), State::kRejected) << c.headers;
    EXPECT_EQ(scanner.error(), c.error) << c.headers;
  }
  HeadScanner scanner;
  EXPECT_EQ(scanner.Scan("PATCH /b/k HTTP/1.1\r\n\r\n"), State::kRejected);
  EXPECT_EQ(scanner.error(), HeadError::kNotImplemented);
  HeadLimits limits;
  limits.max_body = 10;
  HeadScanner capped(limits);
  EXPECT_EQ(capped.Scan("PUT /b/k HTTP/1.1\r\nContent-Length: 11\r\n\r\n"), State::kRejected);
  EXPECT_EQ(capped.error(), HeadError::kBodyTooLarge);
}

TEST(HeadScanner, KeepsHeaderValuesAsSent) {
  HeadScanner scanner;
  std::string head =
      "PUT /b/k HTTP/1.1\r\nHost: x\r\nX-Amz-Meta-Empty:\r\nx-amz-meta-pct:  a%41b \r\n"
      "x-amz-meta-sp: deflate, gzip\r\nContent-Type: a%41\r\n\r\n";
  ASSERT_EQ(scanner.Scan(head), State::kComplete);
  using Pairs = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(scanner.head().raw_headers,
            (Pairs{{"Host", "x"}, {"X-Amz-Meta-Empty", ""}, {"x-amz-meta-pct", "a%41b"},
                   {"x-amz-meta-sp", "deflate, gzip"}, {"Content-Type", "a%41"}}));
  scanner.Reset();
  EXPECT_TRUE(scanner.head().raw_headers.empty());
}

// The bridge renames a GET's Range header in the buffered head before httplib reads it (so that
// httplib never answers 416 itself); only lines httplib would take for that header change, and
// raw_headers keep the header as sent.
TEST(HubConnection, RenamesAHeaderInTheBufferedHeadOnly) {
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  ::fcntl(fds[0], F_SETFL, ::fcntl(fds[0], F_GETFL) | O_NONBLOCK);
  const std::string head =
      "GET /b/k HTTP/1.1\r\nHost: x\r\nrange: bytes=9-3\r\nX-Range: 1\r\nRange : 2\r\n"
      "Range\n\r\n";
  const std::string body = "Range: not a header";
  ASSERT_EQ(::write(fds[1], (head + body).data(), head.size() + body.size()),
            static_cast<ssize_t>(head.size() + body.size()));
  ConnectionHub hub(ConnectionHub::Options{}, nullptr, nullptr);
  HubConnection::Settings settings;
  {
    HubConnection connection(&hub, &settings, fds[0], nullptr);
    ASSERT_EQ(connection.ReadHead(), HubConnection::Step::kComplete);
    connection.BeginRequest();
    EXPECT_EQ(connection.request_head().method, "GET");
    connection.RenameHeadHeader("Range", "(ange");
    std::string seen(head.size() + body.size(), '\0');
    size_t got = 0;
    while (got < seen.size()) {
      ssize_t n = connection.read(seen.data() + got, seen.size() - got);
      ASSERT_GT(n, 0);
      got += static_cast<size_t>(n);
    }
    EXPECT_EQ(seen,
              "GET /b/k HTTP/1.1\r\nHost: x\r\n(ange: bytes=9-3\r\nX-Range: 1\r\nRange : 2\r\n"
              "Range\n\r\n" +
                  body);
    ASSERT_FALSE(connection.request_head().raw_headers.empty());
    EXPECT_EQ(connection.request_head().raw_headers[1],
              (std::pair<std::string, std::string>("range", "bytes=9-3")));
  }  // closes fds[0]
  ::close(fds[1]);
}

TEST(BodyTracker, FollowsContentLength) {
  RequestHead head;
  head.body = RequestHead::Body::kLength;
  head.content_length = 10;
  BodyTracker body;
  body.Start(head);
  EXPECT_EQ(body.remaining(), 10u);
  EXPECT_EQ(body.Consume("abcd"), 4u);
  EXPECT_FALSE(body.done());
  EXPECT_EQ(body.Consume("efghijGET / HTTP/1.1"), 6u);
  EXPECT_TRUE(body.done());
  EXPECT_EQ(body.Consume("x"), 0u);
}

TEST(BodyTracker, FollowsChunkedFramingInAnySlices) {
  RequestHead head;
  head.body = RequestHead::Body::kChunked;
  std::string body = "5;ext=1\r\nhello\r\nA\r\n0123456789\r\n0\r\nTrailer: x\r\n\r\n";
  std::string next = "GET / HTTP/1.1\r\n\r\n";
  for (size_t slice : {size_t{1}, size_t{3}, size_t{7}, body.size() + next.size()}) {
    BodyTracker tracker;
    tracker.Start(head);
    std::string all = body + next;
    size_t taken = 0;
    for (size_t at = 0; at < all.size() && !tracker.done(); at += slice) {
      taken += tracker.Consume(std::string_view(all).substr(at, slice));
    }
    EXPECT_TRUE(tracker.done()) << slice;
    EXPECT_EQ(taken, body.size()) << slice;
  }
  BodyTracker bad;
  bad.Start(head);
  bad.Consume("5\r\nhelloXX\r\n");
  EXPECT_TRUE(bad.failed());
  BodyTracker sign;
  sign.Start(head);
  sign.Consume("-1\r\n");
  EXPECT_TRUE(sign.failed());
}

TEST(LogRedaction, PresignedSecretsNeverReachTheLog) {
  std::string target =
      "/bucket/key?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20240101%2F"
      "us-east-1%2Fs3%2Faws4_request&X-Amz-Date=20240101T000000Z&X-Amz-Expires=300&"
      "X-Amz-SignedHeaders=host&X-Amz-Security-Token=SESSIONTOKEN&X-Amz-Signature=0123abcd";
  std::string logged = RedactTarget(target);
  EXPECT_EQ(logged.find("0123abcd"), std::string::npos) << logged;
  EXPECT_EQ(logged.find("SESSIONTOKEN"), std::string::npos) << logged;
  EXPECT_EQ(logged.find("20240101%2F"), std::string::npos) << logged;
  EXPECT_NE(logged.find("X-Amz-Credential=AKIDEXAMPLE/REDACTED"), std::string::npos) << logged;
  EXPECT_NE(logged.find("X-Amz-Signature=REDACTED"), std::string::npos) << logged;
  EXPECT_NE(logged.find("/bucket/key?X-Amz-Algorithm=AWS4-HMAC-SHA256&"), std::string::npos);
  // SigV2 query authentication; the access key ID may stay.
  logged = RedactTarget("/b/k?AWSAccessKeyId=AKID&Expires=1&Signature=c2VjcmV0%2B");
  EXPECT_EQ(logged, "/b/k?AWSAccessKeyId=AKID&Expires=1&Signature=REDACTED");
  // Names as the server decodes them: any case, percent-encoded.
  logged = RedactTarget("/b?x-amz-signature=s1&X-Amz-%53ignature=s2&SIGNATURE=s3");
  EXPECT_EQ(logged.find("s1"), std::string::npos) << logged;
  EXPECT_EQ(logged.find("s2"), std::string::npos) << logged;
  EXPECT_EQ(logged.find("s3"), std::string::npos) << logged;
  EXPECT_EQ(RedactTarget("/b/k?list-type=2&prefix=a"), "/b/k?list-type=2&prefix=a");
}

TEST(LogRedaction, ControlCharactersAreEscaped) {
  EXPECT_EQ(LogSafe("/a\r\nFAKE \"x\"\\"), "/a\\x0d\\x0aFAKE \\x22x\\x22\\x5c");
  EXPECT_EQ(RedactTarget("/a\x1b[31m?q=\x7f"), "/a\\x1b[31m?q=\\x7f");
}

TEST(ConnectionHub, AddressKeysCountIpv6ClientsPerSlash64) {
  EXPECT_EQ(ConnectionHub::AddressKey("192.0.2.7"), "192.0.2.7");
  EXPECT_EQ(ConnectionHub::AddressKey("2001:db8:1:2:aaaa:bbbb:cccc:dddd"), "2001:db8:1:2::/64");
  EXPECT_EQ(ConnectionHub::AddressKey("2001:db8:1:2::1"), ConnectionHub::AddressKey("2001:db8:1:2::2"));
  EXPECT_NE(ConnectionHub::AddressKey("2001:db8:1:2::1"), ConnectionHub::AddressKey("2001:db8:1:3::1"));
  EXPECT_EQ(ConnectionHub::AddressKey("::ffff:192.0.2.7"), "::ffff:192.0.2.7");
}

TEST(HttpLimitsConfig, FlagsEnvironmentAndDefaults) {
  const char* defaults[] = {"natss3d"};
  auto config = ParseConfig(1, defaults, {});
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->http_limits.max_connections, 4096u);
  EXPECT_EQ(config->http_limits.max_connections_per_address, 256u);
  EXPECT_EQ(config->http_limits.header_timeout, std::chrono::seconds(10));
  EXPECT_EQ(config->http_limits.tls_handshake_timeout, std::chrono::seconds(10));
  EXPECT_EQ(config->http_limits.max_headers, 100u);
  EXPECT_EQ(config->http_limits.max_header_bytes, 16384u);
  EXPECT_EQ(config->http_limits.max_drain_bytes, 1u << 20);

  const char* argv[] = {"natss3d", "--max-connections", "100", "--header-timeout", "3s",
                        "--tls-handshake-timeout", "1m", "--max-headers", "50",
                        "--max-header-bytes", "8192", "--drain-limit", "0"};
  config = ParseConfig(13, argv, {"NATSS3_MAX_CONNECTIONS_PER_IP=7"});
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->http_limits.max_connections, 100u);
  EXPECT_EQ(config->http_limits.max_connections_per_address, 7u);
  EXPECT_EQ(config->http_limits.header_timeout, std::chrono::seconds(3));
  EXPECT_EQ(config->http_limits.tls_handshake_timeout, std::chrono::seconds(60));
  EXPECT_EQ(config->http_limits.max_headers, 50u);
  EXPECT_EQ(config->http_limits.max_header_bytes, 8192u);
  EXPECT_EQ(config->http_limits.max_drain_bytes, 0u);

  for (std::vector<const char*> bad : {std::vector<const char*>{"natss3d", "--max-connections", "0"},
                                       {"natss3d", "--max-headers", "-5"},
                                       {"natss3d", "--max-header-bytes", "16k"},
                                       {"natss3d", "--header-timeout", "0s"}}) {
    auto parsed = ParseConfig(static_cast<int>(bad.size()), bad.data(), {});
    EXPECT_FALSE(parsed.ok()) << bad[1] << " " << bad[2];
  }
}

}  // namespace
}  // namespace natss3::s3d
