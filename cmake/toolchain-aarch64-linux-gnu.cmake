# Cross-compiling for AArch64 Linux with Debian's cross toolchain (g++-aarch64-linux-gnu),
# running the results under qemu-user (qemu-aarch64) so that try_run, gtest_discover_tests
# and ctest work on an x86-64 host. Used by .ci/aarch64:
#   cmake -S . -B build-aarch64 -DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-aarch64-linux-gnu.cmake
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(ROTARY_CROSS_TRIPLE aarch64-linux-gnu)
set(ROTARY_CROSS_SYSROOT /usr/${ROTARY_CROSS_TRIPLE})

set(CMAKE_C_COMPILER ${ROTARY_CROSS_TRIPLE}-gcc)
set(CMAKE_CXX_COMPILER ${ROTARY_CROSS_TRIPLE}-g++)

# Libraries, headers and packages from the target's root only (/usr/aarch64-linux-gnu, plus
# any root the caller passes in CMAKE_FIND_ROOT_PATH), never the host's /usr/lib/x86_64-linux-gnu
# or /usr/include; programs (ninja, qemu) from the host. A package outside those roots (a
# cross-built GoogleTest, the host's header-only nlohmann-json) is found by its <Package>_DIR.
list(APPEND CMAKE_FIND_ROOT_PATH ${ROTARY_CROSS_SYSROOT})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# qemu-aarch64 runs the target's programs; -L points it at the cross libc/libstdc++ (the
# dynamic loader /lib/ld-linux-aarch64.so.1 is looked up under it).
find_program(ROTARY_QEMU_AARCH64 NAMES qemu-aarch64 qemu-aarch64-static REQUIRED)
set(CMAKE_CROSSCOMPILING_EMULATOR ${ROTARY_QEMU_AARCH64} -L ${ROTARY_CROSS_SYSROOT})
