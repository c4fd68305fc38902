# Opt-in source build of every dependency at pinned versions (-DBULKHEAD_FETCH_DEPS=ON). The
# versions match Debian 12's packages, which is what the project is tested against.
include(FetchContent)

set(ABSL_PROPAGATE_CXX_STD ON)
set(ABSL_ENABLE_INSTALL ON)
set(BUILD_TESTING OFF)
FetchContent_Declare(absl
  URL https://github.com/abseil/abseil-cpp/archive/refs/tags/20220623.1.tar.gz
  # No URL_HASH: no SHA512 for this archive was found with confidence; add one when verified.
)

set(protobuf_BUILD_TESTS OFF)
set(protobuf_WITH_ZLIB OFF)
set(protobuf_INSTALL ON)
set(protobuf_BUILD_SHARED_LIBS OFF)
FetchContent_Declare(protobuf
  URL https://github.com/protocolbuffers/protobuf/archive/refs/tags/v21.12.tar.gz
  # No URL_HASH: no SHA512 for this archive was found with confidence; add one when verified.
)

set(LIBUV_BUILD_TESTS OFF)
set(LIBUV_BUILD_BENCH OFF)
FetchContent_Declare(libuv
  # v1.44.2; the hash is vcpkg's for this archive (ports/libuv, REF 0c1fa696 #v1.44.2).
  URL https://github.com/libuv/libuv/archive/0c1fa696aa502eb749c2c4735005f41ba00a27b8.tar.gz
  URL_HASH SHA512=4b63745d48c5318d75ef3580fc6d6288b1ca26a25f69fbef2af4b6fe1d1fe1255986cbb1fb5124e1ba6cd324868ebccdc6f6965e08e3e0fbde29f22e7e20ce89
)

set(INSTALL_GTEST OFF)
set(gtest_force_shared_crt ON)
FetchContent_Declare(googletest
  URL https://github.com/google/googletest/archive/refs/tags/release-1.12.1.tar.gz
  # No URL_HASH: no SHA512 for this archive was found with confidence; add one when verified.
)

FetchContent_MakeAvailable(absl protobuf libuv)
if(BULKHEAD_BUILD_TESTS)
  FetchContent_MakeAvailable(googletest)
endif()

add_library(bulkhead_deps_uv INTERFACE)
add_library(bulkhead_deps::uv ALIAS bulkhead_deps_uv)
target_link_libraries(bulkhead_deps_uv INTERFACE uv_a)

# protobuf's own CMake defines `protobuf_generate` in protobuf-generate.cmake.
include(${protobuf_SOURCE_DIR}/cmake/protobuf-generate.cmake OPTIONAL)
