#!/bin/sh
# The main job: builds strata (Release) and runs a short benchmark of the kernel against its peers.
set -eu
cd "$(dirname "$0")/.."
sh scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DSTRATA_SANITIZE=OFF -DSTRATA_FUZZ=OFF >/dev/null
cmake --build build -j "$(nproc)"
./build/strata-bench --num 100000
