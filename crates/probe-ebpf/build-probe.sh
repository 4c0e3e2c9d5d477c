#!/usr/bin/env bash
# Rebuilds the bundled probe object (bpf/probe.bpf.o) from bpf/probe.bpf.c.
#
# The object is committed so that `cargo build` needs no clang. This script is the one
# way it is made: clang-14 (Debian's default clang) with -O2 -g, then llvm-strip -g
# (drops DWARF, keeps the .BTF/.BTF.ext sections CO-RE needs). clang output is
# deterministic, so CI runs `build-probe.sh --check` to prove the committed object is
# the one its source gives.
#
#   build-probe.sh            rebuild bpf/probe.bpf.o
#   build-probe.sh --check    rebuild to a temporary file and compare (exit 1 on a difference)
#   build-probe.sh --install  apt-get install the tools first (clang-14, llvm-14, libbpf-dev)
set -euo pipefail
dir="$(cd "$(dirname "$0")/bpf" && pwd)"
check=false
for a in "$@"; do
    case "$a" in
        --check) check=true ;;
        --install)
            if ! command -v clang-14 >/dev/null || [ ! -f /usr/include/bpf/bpf_helpers.h ]; then
                apt-get install -y -q clang-14 llvm-14 libbpf-dev >/dev/null \
                    || { apt-get update -q >/dev/null && apt-get install -y -q clang-14 llvm-14 libbpf-dev >/dev/null; }
            fi
            ;;
        *) echo "usage: $0 [--check] [--install]" >&2; exit 2 ;;
    esac
done
out="$dir/probe.bpf.o"
$check && out="$(mktemp)"
# Relative paths and a prefix map keep the checkout's location out of the BTF line info.
(cd "$dir" && clang-14 -target bpf -D__TARGET_ARCH_x86 -O2 -g -Wall -Werror \
    -fdebug-prefix-map="$dir"=. -I/usr/include/x86_64-linux-gnu -c probe.bpf.c -o "$out")
llvm-strip-14 -g "$out"
if $check; then
    if cmp -s "$out" "$dir/probe.bpf.o"; then
        echo "bpf/probe.bpf.o matches bpf/probe.bpf.c"
        rm -f "$out"
    else
        echo "bpf/probe.bpf.o is stale: run crates/probe-ebpf/build-probe.sh and commit it" >&2
        rm -f "$out"
        exit 1
    fi
fi
