// Dense matrix multiplication for the built-in "gpu" role.

#ifndef BULKHEAD_HELPER_ROLES_MATRIX_KERNEL_H_
#define BULKHEAD_HELPER_ROLES_MATRIX_KERNEL_H_

#include "absl/status/statusor.h"
#include "sample_roles/work.pb.h"

namespace bulkhead::roles {

// Returns the product a * b of two row-major `n` x `n` matrices, plus the sum
// of all its elements as `checksum`. Inputs must be finite; the product
// follows IEEE 754 arithmetic and so may overflow to infinity.
//
// Returns InvalidArgumentError if `n` is 0 or above 512, if `a` or `b` does not
// hold exactly n * n elements, or if any element is NaN or infinite.
absl::StatusOr<roles::MultiplyMatricesResponse> MultiplyMatrices(
    const roles::MultiplyMatricesRequest& request);

}  // namespace bulkhead::roles

#endif  // BULKHEAD_HELPER_ROLES_MATRIX_KERNEL_H_
