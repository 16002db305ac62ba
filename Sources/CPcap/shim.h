#ifndef PEERSNIFF_CPCAP_SHIM_H
#define PEERSNIFF_CPCAP_SHIM_H
#include <pcap/pcap.h>
#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>

/// The index of the interface `name` as the socket `fd` sees it (in the socket's own
/// network namespace): 0 when there is no such interface any more, -1 on another error.
/// Asks the kernel only; nothing is sent.
static inline int peersniff_interface_index(int fd, const char *name) {
    struct ifreq request;
    memset(&request, 0, sizeof request);
    strncpy(request.ifr_name, name, IFNAMSIZ - 1);
    if (ioctl(fd, SIOCGIFINDEX, &request) < 0) return errno == ENODEV ? 0 : -1;
    return request.ifr_ifindex;
}
#endif
