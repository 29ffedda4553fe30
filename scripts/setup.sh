#!/bin/sh
# Installs the Debian packages strata needs to build, test and benchmark; skips what is present.
# Run as root on Debian 12 (bookworm).
set -eu
PKGS="build-essential cmake pkg-config git clang libclang-rt-14-dev clang-format clang-tidy lemon
liburing-dev libxxhash-dev libzstd-dev libedit-dev
librocksdb-dev libleveldb-dev libsqlite3-dev"
missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
if [ -n "$missing" ]; then
    echo "setup: installing:$missing"
    SUDO=""
    [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
else
    echo "setup: all packages present"
fi
