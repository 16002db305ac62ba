#!/usr/bin/env bash
# Builds and runs Examples/DecodeFrame against this repository as another project
# would get it: by URL and version. Clones the HEAD of the repository this script
# sits in (committed work only) into a temporary folder, tags the clone with a
# version, copies the example next to it and builds and runs it with
# PEERSNIFF_PACKAGE_URL=file://<clone>, then checks what it prints.
#
#   Examples/build.sh [-c debug|release]     (default debug)
#
# SwiftPM refuses unsafe build flags (`unsafeFlags`) only in a versioned
# dependency, so this is the check that the DiscoveryCodec product is usable by
# others; a path dependency would accept them. The whole peersniff package graph
# is resolved (swift-argument-parser too), so the git mirror that serves
# https://github.com/ must be in place (git's url.<mirror>.insteadOf, as on this
# project's machines) or the network reachable.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(git -C "$here" rev-parse --show-toplevel)"
configuration=debug
version=0.1.0
while [ $# -gt 0 ]; do
    case "$1" in
        -c|--configuration) configuration="$2"; shift ;;
        -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "build.sh: unknown argument '$1'" >&2; exit 2 ;;
    esac
    shift
done

if ! git -C "$root" diff --quiet HEAD -- Package.swift Sources Examples 2>/dev/null; then
    echo "build.sh: note: uncommitted changes in Package.swift, Sources or Examples are not in the clone" >&2
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/peersniff-example.XXXXXX")"
trap 'rm -rf "$work"' EXIT

head="$(git -C "$root" rev-parse HEAD)"
git clone --quiet --no-checkout "$root" "$work/peersniff"
git -C "$work/peersniff" checkout --quiet --detach "$head"
git -C "$work/peersniff" tag -f "$version" "$head" >/dev/null
echo "build.sh: peersniff $version = ${head:0:12}, cloned to $work/peersniff" >&2

# The example outside the repository, so that its Package.resolved and build stay out of it.
mkdir -p "$work/DecodeFrame"
cp -R "$here/DecodeFrame/Package.swift" "$here/DecodeFrame/Sources" "$work/DecodeFrame/"

export PEERSNIFF_PACKAGE_URL="file://$work/peersniff"
swift build -c "$configuration" --package-path "$work/DecodeFrame" --scratch-path "$work/build" \
    --cache-path "$work/cache" >"$work/build.log" 2>&1 || {
    cat "$work/build.log" >&2
    echo "build.sh: the example does not build against peersniff $version" >&2
    exit 1
}
output="$("$work/build/$configuration/DecodeFrame")" || {
    printf '%s\n' "$output"
    echo "build.sh: the example failed" >&2
    exit 1
}
printf '%s\n' "$output"

expected='HELLO name=board-7 warnings=[]
cut: truncated-name at offset 2
encoded=true'
if [ "$output" != "$expected" ]; then
    printf 'build.sh: expected:\n%s\n' "$expected" >&2
    exit 1
fi
echo "build.sh: OK" >&2
