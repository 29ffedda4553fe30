#!/bin/sh
# Formats every project C file in place per .clang-format.
cd "$(dirname "$0")/.."
find include util lsm sql exec catalog tools bench fuzz tests -name '*.[ch]' | xargs clang-format -i
