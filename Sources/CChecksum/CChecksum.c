#include "CChecksum.h"
#include <string.h>

// The sum of a UDP datagram, in C for one reason: the add-with-carry chain. Swift has
// no way to say "add these words and the carry of the last add" (its overflow-reporting
// add starts every chain afresh), so its loop spent an add and an add-with-carry on each
// 8-byte word; clang's __builtin_addcll makes one adc a word. The words are summed in
// the machine's byte order and swapped once at the end (RFC 1071 section 2(B)); a
// block's carry out is counted apart and added back at the end (ones' complement
// addition is end-around carry, in any order).

static inline uint64_t load64(const unsigned char *p) {
    uint64_t v;
    memcpy(&v, p, sizeof v);  // unaligned, one mov
    return v;
}

#define ADD(offset) sum = __builtin_addcll(sum, load64(p + i + (offset)), c, &c)

uint32_t peersniff_ones_complement_sum(const void *bytes, size_t n) {
    const unsigned char *p = bytes;
    unsigned long long sum = 0, carries = 0, c;
    size_t i = 0;
    if (n < 8) {
        // A few bytes, as a word zero-padded on the right in memory order.
        unsigned char word[8] = {0};
        for (; i < n; i++) word[i] = p[i];
        sum = load64(word);
    } else {
        // Most datagrams are a few bytes (a PING's is 9): the blocks only when there
        // are some.
        if (n >= 32) {
            for (; i + 128 <= n; i += 128) {
                c = 0;
                ADD(0); ADD(8); ADD(16); ADD(24); ADD(32); ADD(40); ADD(48); ADD(56);
                ADD(64); ADD(72); ADD(80); ADD(88); ADD(96); ADD(104); ADD(112); ADD(120);
                carries += c;
            }
            if (i + 64 <= n) {
                c = 0;
                ADD(0); ADD(8); ADD(16); ADD(24); ADD(32); ADD(40); ADD(48); ADD(56);
                carries += c;
                i += 64;
            }
            if (i + 32 <= n) {
                c = 0;
                ADD(0); ADD(8); ADD(16); ADD(24);
                carries += c;
                i += 32;
            }
        }
        for (; i + 8 <= n; i += 8) {
            c = 0;
            ADD(0);
            carries += c;
        }
        // The last 1 to 7 bytes, as a word zero-padded on the right in memory order:
        // the datagram's last 8 bytes shifted (the bytes before them are summed already).
        size_t left = n - i;
        if (left > 0) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
            uint64_t tail = load64(p + n - 8) >> (8 * (8 - left));
#else
            uint64_t tail = load64(p + n - 8) << (8 * (8 - left));
#endif
            sum = __builtin_addcll(sum, tail, 0, &c);
            carries += c;
        }
    }
    // The carries back in (at most n / 8, so this add carries out at most once, and
    // then the sum is small).
    sum = __builtin_addcll(sum, carries, 0, &c);
    sum += c;
    // Fold 64 → 16 bits in machine order, then into network order.
    uint64_t s = (sum & 0xFFFFFFFFu) + (sum >> 32);
    s = (s & 0xFFFFFFFFu) + (s >> 32);
    uint32_t f = (uint32_t)s;
    f = (f & 0xFFFF) + (f >> 16);
    f = (f & 0xFFFF) + (f >> 16);
    uint16_t host = (uint16_t)f;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return (uint16_t)((host >> 8) | (host << 8));
#else
    return host;
#endif
}
