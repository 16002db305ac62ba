#ifndef PEERSNIFF_CPCAP_SHIM_H
#define PEERSNIFF_CPCAP_SHIM_H
#include <pcap/pcap.h>
#endif
