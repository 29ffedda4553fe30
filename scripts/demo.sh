#!/bin/sh
# The main job: builds strata (Release), creates a demo database with the strata shell from
# scripts/demo.sql (a namespace, two tables, rows, the first queries people try), then runs a
# few more queries on it from a second shell process (the rows persisted). Standard input is not
# a terminal here, so the shell runs non-interactively; `build/strata demo.db` in a terminal
# gives the prompt. The benchmark is `build/strata-bench --num 100000` (see --help).
set -eu
cd "$(dirname "$0")/.."
sh scripts/setup.sh
# Release, no sanitizers; warnings are gated by scripts/test.sh (-Werror), not here: a newer
# compiler's new warning must not stop the demo.
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DSTRATA_SANITIZE=OFF -DSTRATA_FUZZ=OFF \
    -DSTRATA_WERROR=OFF >/dev/null
cmake --build build -j "$(nproc)"
rm -rf demo.db
echo
echo "== build/strata demo.db -f scripts/demo.sql"
./build/strata demo.db -f scripts/demo.sql
echo
echo "== build/strata demo.db  (statements and dot commands on standard input)"
./build/strata demo.db <<'SQL'
USE shop;
.tables
.schema products
.mode json
SELECT id, name, price FROM products WHERE price > 50 ORDER BY price DESC;
.mode csv
SELECT customer, sum(qty) AS items FROM orders GROUP BY customer ORDER BY customer;
SQL
