#include "sample_roles/matrix_kernel.h"

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/repeated_field.h"

namespace bulkhead::roles {
namespace {

constexpr uint32_t kMaxN = 512;

absl::Status CheckOperand(const char* name,
                          const google::protobuf::RepeatedField<double>& m,
                          size_t expected_size) {
  if (static_cast<size_t>(m.size()) != expected_size) {
    return absl::InvalidArgumentError(
        absl::StrCat("matrix ", name, " has ", m.size(),
                     " elements; expected n * n = ", expected_size));
  }
  for (int i = 0; i < m.size(); ++i) {
    if (!std::isfinite(m[i])) {
      return absl::InvalidArgumentError(
          absl::StrCat("matrix ", name, " has a non-finite element at index ",
                       i, " (", m[i], ")"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<roles::MultiplyMatricesResponse> MultiplyMatrices(
    const roles::MultiplyMatricesRequest& request) {
  const uint32_t n = request.n();
  if (n == 0 || n > kMaxN) {
    return absl::InvalidArgumentError(
        absl::StrCat("n must be in [1, ", kMaxN, "], got ", n));
  }
  const size_t size = size_t{n} * n;
  if (absl::Status s = CheckOperand("a", request.a(), size); !s.ok()) return s;
  if (absl::Status s = CheckOperand("b", request.b(), size); !s.ok()) return s;

  roles::MultiplyMatricesResponse response;
  response.mutable_product()->Resize(static_cast<int>(size), 0.0);
  const double* a = request.a().data();
  const double* b = request.b().data();
  double* c = response.mutable_product()->mutable_data();
  // i-k-j order: the inner loop walks rows of b and c contiguously.
  for (size_t i = 0; i < n; ++i) {
    double* c_row = c + i * n;
    for (size_t k = 0; k < n; ++k) {
      const double a_ik = a[i * n + k];
      const double* b_row = b + k * n;
      for (size_t j = 0; j < n; ++j) c_row[j] += a_ik * b_row[j];
    }
  }
  double checksum = 0.0;
  for (size_t i = 0; i < size; ++i) checksum += c[i];
  response.set_checksum(checksum);
  return response;
}

}  // namespace bulkhead::roles
