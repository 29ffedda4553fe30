#!/bin/sh
# Builds strata and runs every test:
#   1. a gcc Release build with -Wall -Wextra -Werror (the library, tools, bench, tests compile);
#   2. a clang build with AddressSanitizer + UndefinedBehaviorSanitizer and the libFuzzer targets,
#      whose ctest run holds every unit, model, crash, fault, SQL logic and style test and a short
#      run of each fuzz target. ctest's summary closes the output.
set -eu
cd "$(dirname "$0")/.."
sh scripts/setup.sh
JOBS=${JOBS:-$(nproc)}
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DSTRATA_SANITIZE=OFF -DSTRATA_FUZZ=OFF -DSTRATA_WERROR=ON >/dev/null
cmake --build build -j "$JOBS"
CC=clang CXX=clang++ cmake -S . -B build-test -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DSTRATA_SANITIZE=ON -DSTRATA_FUZZ=ON -DSTRATA_BENCH=OFF \
    -DSTRATA_FUZZ_SECONDS="${STRATA_FUZZ_SECONDS:-20}" >/dev/null
cmake --build build-test -j "$JOBS"
cd build-test
exec ctest --output-on-failure -j "$JOBS"
