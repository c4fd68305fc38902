#include "sample_roles/matrix_kernel.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace bulkhead::roles {
namespace {

roles::MultiplyMatricesRequest MakeRequest(uint32_t n,
                                           const std::vector<double>& a,
                                           const std::vector<double>& b) {
  roles::MultiplyMatricesRequest request;
  request.set_n(n);
  request.mutable_a()->Add(a.begin(), a.end());
  request.mutable_b()->Add(b.begin(), b.end());
  return request;
}

std::vector<double> Product(const roles::MultiplyMatricesResponse& response) {
  return {response.product().begin(), response.product().end()};
}

// Small integers keep every product and sum exact, whatever the loop order.
std::vector<double> RandomIntegerMatrix(uint32_t n, std::mt19937* rng) {
  std::uniform_int_distribution<int> value(-9, 9);
  std::vector<double> m(size_t{n} * n);
  for (double& x : m) x = value(*rng);
  return m;
}

std::vector<double> Identity(uint32_t n) {
  std::vector<double> m(size_t{n} * n, 0.0);
  for (uint32_t i = 0; i < n; ++i) m[size_t{i} * n + i] = 1.0;
  return m;
}

TEST(MatrixKernelTest, MultipliesTwoByTwo) {
  absl::StatusOr<roles::MultiplyMatricesResponse> response =
      MultiplyMatrices(MakeRequest(2, {1, 2, 3, 4}, {5, 6, 7, 8}));
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(Product(*response), (std::vector<double>{19, 22, 43, 50}));
  EXPECT_EQ(response->checksum(), 134.0);
}

TEST(MatrixKernelTest, IsRowMajorAndNotCommutative) {
  // b * a differs from a * b, so a transposed layout would be caught.
  absl::StatusOr<roles::MultiplyMatricesResponse> response =
      MultiplyMatrices(MakeRequest(2, {5, 6, 7, 8}, {1, 2, 3, 4}));
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(Product(*response), (std::vector<double>{23, 34, 31, 46}));
}

TEST(MatrixKernelTest, MultipliesOneByOne) {
  absl::StatusOr<roles::MultiplyMatricesResponse> response =
      MultiplyMatrices(MakeRequest(1, {-2.5}, {4}));
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(Product(*response), (std::vector<double>{-10}));
  EXPECT_EQ(response->checksum(), -10.0);
}

TEST(MatrixKernelTest, IdentityIsNeutral) {
  std::mt19937 rng(7);
  const uint32_t n = 9;
  const std::vector<double> a = RandomIntegerMatrix(n, &rng);
  absl::StatusOr<roles::MultiplyMatricesResponse> left =
      MultiplyMatrices(MakeRequest(n, Identity(n), a));
  absl::StatusOr<roles::MultiplyMatricesResponse> right =
      MultiplyMatrices(MakeRequest(n, a, Identity(n)));
  ASSERT_TRUE(left.ok()) << left.status();
  ASSERT_TRUE(right.ok()) << right.status();
  EXPECT_EQ(Product(*left), a);
  EXPECT_EQ(Product(*right), a);
}

TEST(MatrixKernelTest, MatchesNaiveReferenceOnRandomInput) {
  std::mt19937 rng(42);
  for (uint32_t n : {2u, 3u, 17u, 64u}) {
    const std::vector<double> a = RandomIntegerMatrix(n, &rng);
    const std::vector<double> b = RandomIntegerMatrix(n, &rng);
    std::vector<double> expected(size_t{n} * n);
    double expected_sum = 0;
    for (uint32_t i = 0; i < n; ++i) {
      for (uint32_t j = 0; j < n; ++j) {
        double dot = 0;
        for (uint32_t k = 0; k < n; ++k) dot += a[i * n + k] * b[k * n + j];
        expected[i * n + j] = dot;
        expected_sum += dot;
      }
    }
    absl::StatusOr<roles::MultiplyMatricesResponse> response =
        MultiplyMatrices(MakeRequest(n, a, b));
    ASSERT_TRUE(response.ok()) << response.status();
    EXPECT_EQ(Product(*response), expected) << "n = " << n;
    EXPECT_EQ(response->checksum(), expected_sum) << "n = " << n;
  }
}

TEST(MatrixKernelTest, AcceptsLargestSize) {
  const uint32_t n = 512;
  absl::StatusOr<roles::MultiplyMatricesResponse> response = MultiplyMatrices(
      MakeRequest(n, Identity(n), std::vector<double>(n * n, 2)));
  ASSERT_TRUE(response.ok()) << response.status();
  ASSERT_EQ(response->product_size(), static_cast<int>(n * n));
  EXPECT_EQ(response->product(0), 2.0);
  EXPECT_EQ(response->product(n * n - 1), 2.0);
  EXPECT_EQ(response->checksum(), 2.0 * n * n);
}

TEST(MatrixKernelTest, OverflowFollowsIeee) {
  absl::StatusOr<roles::MultiplyMatricesResponse> response =
      MultiplyMatrices(MakeRequest(1, {1e200}, {1e200}));
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_TRUE(std::isinf(response->product(0)));
}

TEST(MatrixKernelTest, RejectsBadDimension) {
  for (uint32_t n : {0u, 513u, 100000u}) {
    absl::Status status = MultiplyMatrices(MakeRequest(n, {}, {})).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << n;
    EXPECT_TRUE(absl::StrContains(status.message(), "n must be")) << status;
  }
}

TEST(MatrixKernelTest, RejectsWrongOperandSizes) {
  absl::Status short_a =
      MultiplyMatrices(MakeRequest(2, {1, 2, 3}, {1, 2, 3, 4})).status();
  EXPECT_EQ(short_a.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(short_a.message(), "matrix a")) << short_a;

  absl::Status long_b =
      MultiplyMatrices(MakeRequest(2, {1, 2, 3, 4}, {1, 2, 3, 4, 5})).status();
  EXPECT_EQ(long_b.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(long_b.message(), "matrix b")) << long_b;

  EXPECT_EQ(MultiplyMatrices(MakeRequest(2, {}, {})).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(MatrixKernelTest, RejectsNonFiniteElements) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  absl::Status nan_a =
      MultiplyMatrices(MakeRequest(2, {1, 2, nan, 4}, {1, 2, 3, 4})).status();
  EXPECT_EQ(nan_a.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(nan_a.message(), "matrix a")) << nan_a;
  EXPECT_TRUE(absl::StrContains(nan_a.message(), "index 2")) << nan_a;

  absl::Status inf_b =
      MultiplyMatrices(MakeRequest(2, {1, 2, 3, 4}, {1, 2, 3, -inf})).status();
  EXPECT_EQ(inf_b.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(inf_b.message(), "matrix b")) << inf_b;
  EXPECT_TRUE(absl::StrContains(inf_b.message(), "index 3")) << inf_b;

  EXPECT_EQ(MultiplyMatrices(MakeRequest(1, {inf}, {0})).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace bulkhead::roles
