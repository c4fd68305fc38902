#include "browser_host/demo_work.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "sample_roles/work.pb.h"

namespace bulkhead {
namespace {

using Done = absl::AnyInvocable<void(absl::StatusOr<std::string>)>;

void LayoutSample(HelperProcess& helper, absl::Time deadline, Done done) {
  roles::LayoutTextRequest request;
  request.set_text(
      "A crash, hang or memory blow-up in one helper must never take down the "
      "host or a "
      "sibling, and the user must be able to see that.");
  request.set_width(32);
  helper.Call<roles::LayoutTextRequest, roles::LayoutTextResponse>(
      request, deadline,
      [done = std::move(done)](
          absl::StatusOr<roles::LayoutTextResponse> response) mutable {
        if (!response.ok()) return done(response.status());
        done(absl::StrCat("laid out ", response->word_count(), " words in ",
                          response->lines_size(),
                          " lines of at most 32 columns; first line \"",
                          response->lines_size() > 0 ? response->lines(0) : "",
                          "\""));
      });
}

constexpr int kN = 64;

void MatrixSample(HelperProcess& helper, absl::Time deadline, Done done) {
  roles::MultiplyMatricesRequest request;
  request.set_n(kN);
  for (int i = 0; i < kN * kN; ++i) {
    request.add_a(static_cast<double>(i % 7) - 3.0);
    request.add_b(i / kN == i % kN ? 2.0
                                   : 0.0);  // 2 * identity: the product is 2a.
  }
  helper.Call<roles::MultiplyMatricesRequest, roles::MultiplyMatricesResponse>(
      request, deadline,
      [done = std::move(done)](
          absl::StatusOr<roles::MultiplyMatricesResponse> response) mutable {
        if (!response.ok()) return done(response.status());
        done(absl::StrFormat("multiplied two %dx%d matrices; checksum %.1f", kN,
                             kN, response->checksum()));
      });
}

void CompressSample(HelperProcess& helper, absl::Time deadline, Done done) {
  roles::CompressBlobRequest request;
  std::string blob;
  for (int run = 0; run < 512; ++run)
    blob.append(64 + run % 64, static_cast<char>('a' + run % 26));
  request.set_data(blob);
  helper.Call<roles::CompressBlobRequest, roles::CompressBlobResponse>(
      request, deadline,
      [done = std::move(done)](
          absl::StatusOr<roles::CompressBlobResponse> response) mutable {
        if (!response.ok()) return done(response.status());
        done(absl::StrFormat("compressed %d bytes to %d (crc32 %08x)",
                             response->original_size(),
                             response->compressed().size(), response->crc32()));
      });
}

void UrlSample(HelperProcess& helper, absl::Time deadline, Done done) {
  roles::ParseUrlsRequest request;
  for (const char* url :
       {"https://example.org/index.html?q=1", "http://[::1]:8080/status",
        "ftp://files.example.net", "not a url"}) {
    request.add_urls(url);
  }
  helper.Call<roles::ParseUrlsRequest, roles::ParseUrlsResponse>(
      request, deadline,
      [done = std::move(done)](
          absl::StatusOr<roles::ParseUrlsResponse> response) mutable {
        if (!response.ok()) return done(response.status());
        std::vector<std::string> parts;
        for (int i = 0; i < response->parsed_size(); ++i) {
          const bool failed =
              i < response->errors_size() && !response->errors(i).empty();
          parts.push_back(failed ? "(invalid)"
                                 : absl::StrCat(response->parsed(i).host(), ":",
                                                response->parsed(i).port()));
        }
        done(absl::StrCat("parsed ", response->parsed_size(),
                          " URLs: ", absl::StrJoin(parts, ", ")));
      });
}

}  // namespace

void SendSampleWork(HelperProcess& helper, absl::Time deadline, Done done) {
  const std::string& role = helper.role();
  if (role == "renderer")
    return LayoutSample(helper, deadline, std::move(done));
  if (role == "gpu") return MatrixSample(helper, deadline, std::move(done));
  if (role == "utility")
    return CompressSample(helper, deadline, std::move(done));
  if (role == "network") return UrlSample(helper, deadline, std::move(done));
  done(absl::NotFoundError(
      absl::StrCat("no sample work for role '", role, "'")));
}

}  // namespace bulkhead
