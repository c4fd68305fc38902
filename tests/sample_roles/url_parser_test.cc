#include "sample_roles/url_parser.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "gtest/gtest.h"

namespace bulkhead::roles {
namespace {

roles::ParsedUrl Parse(absl::string_view url) {
  absl::StatusOr<roles::ParsedUrl> parsed = ParseUrl(url);
  EXPECT_TRUE(parsed.ok()) << url << ": " << parsed.status();
  return parsed.ok() ? *parsed : roles::ParsedUrl();
}

// Expects `url` to be rejected with a message containing `fragment`.
void ExpectInvalid(absl::string_view url, absl::string_view fragment) {
  absl::StatusOr<roles::ParsedUrl> parsed = ParseUrl(url);
  ASSERT_FALSE(parsed.ok()) << url << " parsed as " << parsed->DebugString();
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << url;
  EXPECT_TRUE(absl::StrContains(parsed.status().message(), fragment))
      << url << ": " << parsed.status();
}

TEST(UrlParserTest, ParsesEveryComponent) {
  roles::ParsedUrl url =
      Parse("HTTPS://User:Pa55@Example.COM:8443/a/B%20c?x=1&Y=2#frag?ment");
  EXPECT_EQ(url.scheme(), "https");
  EXPECT_EQ(url.host(), "example.com");
  EXPECT_EQ(url.port(), 8443u);
  EXPECT_EQ(url.path(), "/a/B%20c");  // Path and query keep their case.
  EXPECT_EQ(url.query(), "x=1&Y=2");
}

TEST(UrlParserTest, FillsDefaultPorts) {
  EXPECT_EQ(Parse("http://h").port(), 80u);
  EXPECT_EQ(Parse("HTTP://h").port(), 80u);
  EXPECT_EQ(Parse("https://h").port(), 443u);
  EXPECT_EQ(Parse("ws://h").port(), 80u);
  EXPECT_EQ(Parse("wss://h").port(), 443u);
  EXPECT_EQ(Parse("ftp://h").port(), 21u);
  EXPECT_EQ(Parse("gopher://h").port(), 0u);
  EXPECT_EQ(Parse("https://h:80").port(), 80u);  // Explicit wins.
}

TEST(UrlParserTest, PathDefaultsToSlashAndQueryIsOptional) {
  roles::ParsedUrl bare = Parse("http://example.com");
  EXPECT_EQ(bare.path(), "/");
  EXPECT_EQ(bare.query(), "");

  roles::ParsedUrl query_only = Parse("http://example.com?q=/x");
  EXPECT_EQ(query_only.host(), "example.com");
  EXPECT_EQ(query_only.path(), "/");
  EXPECT_EQ(query_only.query(), "q=/x");

  roles::ParsedUrl fragment_only = Parse("http://example.com#top?not=query");
  EXPECT_EQ(fragment_only.path(), "/");
  EXPECT_EQ(fragment_only.query(), "");

  roles::ParsedUrl empty_query = Parse("http://example.com/p?");
  EXPECT_EQ(empty_query.path(), "/p");
  EXPECT_EQ(empty_query.query(), "");
}

TEST(UrlParserTest, AcceptsSchemeAndHostCharacters) {
  roles::ParsedUrl url = Parse("Svn+SSH.v2-x://my_host-1.Example.org/repo");
  EXPECT_EQ(url.scheme(), "svn+ssh.v2-x");
  EXPECT_EQ(url.host(), "my_host-1.example.org");
  EXPECT_EQ(url.port(), 0u);
  EXPECT_EQ(Parse("http://127.0.0.1:8080/").host(), "127.0.0.1");
}

TEST(UrlParserTest, UserinfoEndsAtLastAt) {
  roles::ParsedUrl url = Parse("ftp://a@b:c@Files.example:2121/x");
  EXPECT_EQ(url.host(), "files.example");
  EXPECT_EQ(url.port(), 2121u);
  EXPECT_EQ(Parse("http://@h/").host(), "h");
}

TEST(UrlParserTest, AcceptsIpv6Literals) {
  roles::ParsedUrl loopback = Parse("http://[::1]:8080/x");
  EXPECT_EQ(loopback.host(), "[::1]");
  EXPECT_EQ(loopback.port(), 8080u);
  EXPECT_EQ(loopback.path(), "/x");

  roles::ParsedUrl upper = Parse("https://[2001:DB8::A]");
  EXPECT_EQ(upper.host(), "[2001:db8::a]");
  EXPECT_EQ(upper.port(), 443u);

  EXPECT_EQ(Parse("http://[::]/").host(), "[::]");
  EXPECT_EQ(Parse("http://[1:2:3:4:5:6:7:8]/").host(), "[1:2:3:4:5:6:7:8]");
  EXPECT_EQ(Parse("http://[1::]/").host(), "[1::]");
  EXPECT_EQ(Parse("http://[::ffff:192.0.2.1]/").host(), "[::ffff:192.0.2.1]");
  EXPECT_EQ(Parse("http://[1:2:3:4:5:6:1.2.3.4]/").host(),
            "[1:2:3:4:5:6:1.2.3.4]");
}

TEST(UrlParserTest, RejectsBadIpv6Literals) {
  ExpectInvalid("http://[::1", "closing ']'");
  ExpectInvalid("http://[::1/x]", "closing ']'");
  for (absl::string_view url :
       {"http://[]/", "http://[:::1]/", "http://[1::2::3]/",
        "http://[1:2:3:4:5:6:7:8:9]/", "http://[1:2:3:4:5:6:7]/",
        "http://[1:2:3:4:5:6:7::8]/", "http://[12345::]/", "http://[g::]/",
        "http://[:1]/", "http://[1:]/", "http://[::1%25eth0]/",
        "http://[1.2.3.4]/", "http://[::256.0.0.1]/", "http://[::1.2.3]/",
        "http://[::01.2.3.4]/", "http://[1.2.3.4::]/"}) {
    ExpectInvalid(url, "invalid IPv6 literal");
  }
  ExpectInvalid("http://[::1]x/", "after IPv6 literal");
}

TEST(UrlParserTest, ValidatesPorts) {
  EXPECT_EQ(Parse("http://h:1").port(), 1u);
  EXPECT_EQ(Parse("http://h:65535").port(), 65535u);
  EXPECT_EQ(Parse("http://h:0080").port(), 80u);
  ExpectInvalid("http://h:0", "outside 1..65535");
  ExpectInvalid("http://h:65536", "outside 1..65535");
  ExpectInvalid("http://h:99999999999999999999999", "outside 1..65535");
  ExpectInvalid("http://h:4294967376", "outside 1..65535");  // 2^32 + 80.
  ExpectInvalid("http://h:", "empty port");
  ExpectInvalid("http://h:/x", "empty port");
  ExpectInvalid("http://h:8a", "not a number");
  ExpectInvalid("http://h:-1", "not a number");
  ExpectInvalid("http://h:+80", "not a number");
  ExpectInvalid("http://h:80:81", "not a number");
  ExpectInvalid("http://[::1]:", "empty port");
  ExpectInvalid("http://[::1]:70000", "outside 1..65535");
}

TEST(UrlParserTest, RejectsBadSchemes) {
  ExpectInvalid("example.com/path", "missing scheme");
  ExpectInvalid("//example.com/path", "missing scheme");
  ExpectInvalid("/relative:path", "missing scheme");
  ExpectInvalid("://h", "must start with a letter");
  ExpectInvalid("1http://h", "must start with a letter");
  ExpectInvalid("ht_tp://h", "invalid character '_' in scheme");
  ExpectInvalid("mailto:user@example.com", "expected \"//\"");
  ExpectInvalid("http:/h", "expected \"//\"");
  ExpectInvalid("http:h", "expected \"//\"");
}

TEST(UrlParserTest, RejectsEmptyOrBadHosts) {
  ExpectInvalid("", "empty URL");
  ExpectInvalid("http://", "empty host");
  ExpectInvalid("http:///path", "empty host");
  ExpectInvalid("http://user@/", "empty host");
  ExpectInvalid("http://:80/", "empty host");
  ExpectInvalid("http://?q", "empty host");
  ExpectInvalid("http://ex!ample.com/", "invalid character '!' in host");
  ExpectInvalid("http://a]b/", "invalid character ']' in host");
}

TEST(UrlParserTest, RejectsNonPrintableAscii) {
  ExpectInvalid("http://exa mple.com/", "offset 10");
  ExpectInvalid("http://h/a\tb", "printable ASCII");
  ExpectInvalid("http://h/\n", "printable ASCII");
  ExpectInvalid("http://h/\x7f", "0x7f");
  ExpectInvalid("http://ex\xc3\xa4mple.com/", "printable ASCII");
  ExpectInvalid("http://h/caf\xc3\xa9", "printable ASCII");
  ExpectInvalid(absl::string_view("http://h/\0", 10), "0x00");
}

TEST(UrlParserTest, ParseUrlsKeepsIndexesAligned) {
  roles::ParseUrlsRequest request;
  request.add_urls("https://a.example/x?y");
  request.add_urls("not a url");
  request.add_urls("");
  request.add_urls("ws://[::1]:9000");
  request.add_urls("http://h:0");
  absl::StatusOr<roles::ParseUrlsResponse> response = ParseUrls(request);
  ASSERT_TRUE(response.ok()) << response.status();
  ASSERT_EQ(response->parsed_size(), 5);
  ASSERT_EQ(response->errors_size(), 5);

  EXPECT_EQ(response->errors(0), "");
  EXPECT_EQ(response->parsed(0).host(), "a.example");
  EXPECT_EQ(response->parsed(0).query(), "y");

  for (int i : {1, 2, 4}) {
    EXPECT_NE(response->errors(i), "") << i;
    EXPECT_EQ(response->parsed(i).ByteSizeLong(), 0u) << i;
  }
  EXPECT_TRUE(absl::StrContains(response->errors(2), "empty URL"));
  EXPECT_TRUE(absl::StrContains(response->errors(4), "port"));

  EXPECT_EQ(response->errors(3), "");
  EXPECT_EQ(response->parsed(3).host(), "[::1]");
  EXPECT_EQ(response->parsed(3).port(), 9000u);
}

TEST(UrlParserTest, ParseUrlsHandlesEmptyList) {
  absl::StatusOr<roles::ParseUrlsResponse> response =
      ParseUrls(roles::ParseUrlsRequest());
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->parsed_size(), 0);
  EXPECT_EQ(response->errors_size(), 0);
}

TEST(UrlParserTest, ParseUrlsLimitsListLength) {
  roles::ParseUrlsRequest request;
  for (int i = 0; i < 10000; ++i) request.add_urls("http://h/");
  absl::StatusOr<roles::ParseUrlsResponse> at_limit = ParseUrls(request);
  ASSERT_TRUE(at_limit.ok()) << at_limit.status();
  EXPECT_EQ(at_limit->parsed_size(), 10000);

  request.add_urls("http://h/");
  absl::StatusOr<roles::ParseUrlsResponse> over = ParseUrls(request);
  EXPECT_EQ(over.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(over.status().message(), "10000"))
      << over.status();
}

}  // namespace
}  // namespace bulkhead::roles
