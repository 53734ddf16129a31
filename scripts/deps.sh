#!/usr/bin/env bash
# Installs the Debian 12 packages ftl builds with, if any is missing. Safe to run again.
set -euo pipefail
PKGS=(cmake g++ ninja-build
      librocksdb-dev libssl-dev libcereal-dev libboost1.81-dev catch2 libcli11-dev nlohmann-json3-dev libutfcpp-dev
      clang-14 libclang-rt-14-dev util-linux python3 wrk curl)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO=sudo; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
