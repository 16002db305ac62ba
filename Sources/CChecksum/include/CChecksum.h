#pragma once
#include <stddef.h>
#include <stdint.h>

/// The 16-bit ones' complement sum of `count` bytes at `bytes` (RFC 1071), folded
/// to 16 bits, in network byte order: what `PacketLayers.onesComplementSum` returns.
/// `bytes` may be NULL when `count` is 0; any alignment.
uint32_t peersniff_ones_complement_sum(const void *bytes, size_t count);
