/*
 * baseline: the least work a libpcap reader of discovery traffic can do, as the
 * floor for peersniff's timings (run.sh). It opens a capture (pcap or pcapng),
 * compiles the same BPF expression peersniff uses, applies it to every packet in
 * user space with pcap_offline_filter (peersniff counts every packet to number
 * them as Wireshark does, so it cannot let the kernel or libpcap drop them), and
 * for each matched packet walks Ethernet (+802.1Q), IPv4 or IPv6 and UDP and
 * reads every payload byte. No reassembly, no decoding, no output per packet.
 *
 *   baseline FILE [BPF-EXPRESSION]
 *   baseline --check-filter BPF-EXPRESSION   (exit 0 if it compiles for Ethernet)
 *
 * Prints: packets=N matched=M payload_bytes=B checksum=C
 */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_FILTER \
    "(udp port 37020 or (ip[6:2] & 0x3fff != 0)) or " \
    "(vlan and (udp port 37020 or (ip[6:2] & 0x3fff != 0)))"

static uint64_t matched, payload_bytes, checksum;

static inline unsigned be16(const u_char *p) { return (unsigned)p[0] << 8 | p[1]; }

static void touch(const u_char *p, size_t n) {
    uint64_t sum = 0;
    for (size_t i = 0; i < n; i++) sum += p[i];
    checksum += sum;
    payload_bytes += n;
}

static void walk(const u_char *p, size_t caplen) {
    size_t o = 12;
    if (caplen < 14) return;
    unsigned type = be16(p + o);
    /* 802.1Q / 802.1ad tags, as many as there are. */
    while ((type == 0x8100 || type == 0x88a8) && o + 6 <= caplen) {
        o += 4;
        type = be16(p + o);
    }
    o += 2;
    if (type == 0x0800) {
        if (caplen < o + 20 || (p[o] >> 4) != 4) return;
        size_t ihl = (size_t)(p[o] & 0x0f) * 4;
        size_t total = be16(p + o + 2);
        if (ihl < 20 || total < ihl) return;
        size_t end = o + total < caplen ? o + total : caplen; /* Ethernet padding is not payload */
        unsigned fragment = be16(p + o + 6) & 0x1fff;
        unsigned proto = p[o + 9];
        o += ihl;
        if (o > end) return;
        if (fragment == 0 && proto == 17) {
            if (end - o < 8) return;
            o += 8;
        }
        touch(p + o, end - o); /* a later fragment: its bytes are payload too */
    } else if (type == 0x86dd) {
        if (caplen < o + 40) return;
        size_t end = o + 40 + be16(p + o + 4);
        if (end > caplen) end = caplen;
        unsigned next = p[o + 6];
        o += 40;
        if (next == 17 && end - o >= 8) o += 8;
        if (o <= end) touch(p + o, end - o);
    }
}

int main(int argc, char **argv) {
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s FILE [BPF-EXPRESSION]\n", argv[0]);
        return 2;
    }
    const char *expression = argc == 3 ? argv[2] : DEFAULT_FILTER;
    char error[PCAP_ERRBUF_SIZE];
    struct bpf_program program;
    if (strcmp(argv[1], "--check-filter") == 0) {
        pcap_t *dead = pcap_open_dead(DLT_EN10MB, 262144);
        if (!dead || pcap_compile(dead, &program, expression, 1, PCAP_NETMASK_UNKNOWN) != 0) {
            fprintf(stderr, "baseline: bad filter '%s'%s%s\n", expression, dead ? ": " : "", dead ? pcap_geterr(dead) : "");
            return 2;
        }
        return 0;
    }
    pcap_t *pcap = pcap_open_offline(argv[1], error);
    if (!pcap) {
        fprintf(stderr, "baseline: %s\n", error);
        return 1;
    }
    if (pcap_compile(pcap, &program, expression, 1, PCAP_NETMASK_UNKNOWN) != 0) {
        fprintf(stderr, "baseline: bad filter '%s': %s\n", expression, pcap_geterr(pcap));
        return 2;
    }
    uint64_t packets = 0;
    struct pcap_pkthdr *header;
    const u_char *data;
    int status;
    while ((status = pcap_next_ex(pcap, &header, &data)) == 1) {
        packets++;
        if (pcap_offline_filter(&program, header, data)) {
            matched++;
            walk(data, header->caplen);
        }
    }
    if (status == PCAP_ERROR) {
        fprintf(stderr, "baseline: %s: %s\n", argv[1], pcap_geterr(pcap));
        return 1;
    }
    printf("packets=%llu matched=%llu payload_bytes=%llu checksum=%llu\n",
           (unsigned long long)packets, (unsigned long long)matched,
           (unsigned long long)payload_bytes, (unsigned long long)checksum);
    pcap_freecode(&program);
    pcap_close(pcap);
    return 0;
}
