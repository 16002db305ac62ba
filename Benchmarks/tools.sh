# Sourced by flood.sh and html.sh: builds what they time (unless a peersniff binary
# was given) and sets $peersniff and $gen. Needs $root, $here, $out and $peersniff set.
export PATH="/opt/swift/usr/bin:$PATH"
mkdir -p "$out"
if [ -z "$peersniff" ]; then
    # peersniff's release flags (scripts/release-flags.sh): what is timed is what is installed.
    source "$root/scripts/release-flags.sh"
    (cd "$root" && swift build -c release --product peersniff "${release_flags[@]}" >/dev/null) || exit 1
    peersniff="$(cd "$root" && swift build -c release --show-bin-path)/peersniff"
fi
(cd "$here/Generator" && swift build -c release >/dev/null) || exit 1
gen="$(cd "$here/Generator" && swift build -c release --show-bin-path)/peersniff-gen"
