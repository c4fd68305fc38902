#include "host/launch/launch_options.h"
#include "host/launch/sandbox_zygote.h"

namespace bulkhead {

class SandboxZygote {};

bool SandboxZygotes::Available() { return false; }

bool ForkSandboxedHelpersByDefault() { return false; }

uint64_t SandboxZygotes::FallbacksForTesting() { return 0; }

SandboxZygotes::SandboxZygotes() = default;

SandboxZygotes::~SandboxZygotes() = default;

std::shared_ptr<SandboxZygote> SandboxZygotes::ForShape(const ShapeKey&) {
  return nullptr;
}

}  // namespace bulkhead
