#include "tests/support/fake_zygote.h"

namespace bulkhead::testing {

std::optional<int> MaybeRunFakeZygote(int, char**) { return std::nullopt; }

}  // namespace bulkhead::testing
