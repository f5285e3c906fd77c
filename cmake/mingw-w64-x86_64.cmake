# Cross-build for 64-bit Windows with Debian's mingw-w64
# (gcc-mingw-w64-x86-64); the tests run under wine, which ctest calls
# through CMAKE_CROSSCOMPILING_EMULATOR:
#
#   cmake -S . -B build/win64 -DCMAKE_TOOLCHAIN_FILE=cmake/mingw-w64-x86_64.cmake
#   cmake --build build/win64
#   (cd build/win64 && WINEPREFIX=$PWD/wineprefix WINEDEBUG=-all ctest)
#
# Executables are linked statically (libgcc, winpthreads), so they need no
# mingw DLLs beside them, and get an 8 MiB stack reservation like Linux's
# default (the tests' one-thread pools run deep graphs on the main thread;
# mingw's default is 2 MiB).
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

set(WEFT_CROSS_TRIPLE x86_64-w64-mingw32)
set(CMAKE_C_COMPILER ${WEFT_CROSS_TRIPLE}-gcc)
set(CMAKE_RC_COMPILER ${WEFT_CROSS_TRIPLE}-windres)
set(CMAKE_FIND_ROOT_PATH /usr/${WEFT_CROSS_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

set(CMAKE_EXE_LINKER_FLAGS_INIT "-static -Wl,--stack,8388608")
# C99 printf formats (%zu, %lld) through mingw's own stdio, not msvcrt's.
set(CMAKE_C_FLAGS_INIT "-D__USE_MINGW_ANSI_STDIO=1")

find_program(WEFT_WINE NAMES wine wine64)
if(WEFT_WINE)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${WEFT_WINE})
endif()
