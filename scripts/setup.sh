#!/usr/bin/env bash
# Installs what building and testing peersniff needs on Debian (run as root, or with sudo).
set -euo pipefail
need=()
# groff-base and man-db render the man page (InstallTests), libcap2-bin has setcap and getcap;
# prometheus (with promtool) and prometheus-node-exporter check the metrics file and the alert rules;
# fish and zsh run the completion scripts (CommandLineTests).
for pkg in libpcap-dev tshark tcpdump valgrind iproute2 time strace chromium groff-base man-db libcap2-bin prometheus prometheus-node-exporter fish zsh; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    export DEBIAN_FRONTEND=noninteractive
    # tshark asks whether non-root users may capture; answer no without a prompt.
    echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
