# Cross build for AArch64 Linux with Debian's gcc-aarch64-linux-gnu; tests run
# under qemu-user (Debian's qemu-user) through CMAKE_CROSSCOMPILING_EMULATOR,
# so `ctest` works unchanged:
#   cmake -S . -B build-aarch64 -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake
#   cmake --build build-aarch64 -j2 && ctest --test-dir build-aarch64
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(ARNN_AARCH64_SYSROOT /usr/aarch64-linux-gnu CACHE PATH "AArch64 runtime root for qemu (-L)")
set(CMAKE_FIND_ROOT_PATH ${ARNN_AARCH64_SYSROOT})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
find_program(ARNN_QEMU_AARCH64 qemu-aarch64)
if(ARNN_QEMU_AARCH64)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${ARNN_QEMU_AARCH64} -L ${ARNN_AARCH64_SYSROOT})
endif()
