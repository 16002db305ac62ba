import WireBytes

extension FrameView {
    /// Where in the payload the element behind a warning begins: the first name with
    /// the problem, the first entry out of order, the second listing of a duplicate,
    /// the count byte of an over-long FULL, the first byte past the boards' receive
    /// buffer. Nil for `fragmented` (the whole datagram) and for warnings not set.
    public func offset(of warning: FrameWarnings) -> Int? {
        guard warnings.contains(warning) else { return nil }
        switch warning {
        case .exceedsReceiveBuffer:
            return FirmwareLimits.receiveBuffer
        case .tooManyPeers:
            return 1
        case .nameNotUTF8, .nameCutMidCharacter, .nameTooLong:
            return firstName { nameWarnings($0).contains(warning) }
        case .fullSenderNotFirst:
            return type == .full ? 2 : nil
        case .fullNotSorted:
            var offset = 2
            var previous: IPv4Address? = nil
            for (index, peer) in peers.enumerated() {
                if index >= 2, let previous, peer.ip < previous { return offset }
                previous = peer.ip
                offset += 5 + peer.name.count
            }
            return nil
        case .fullDuplicateIP:
            var offset = 2
            var seen: [IPv4Address] = []
            for peer in peers {
                if seen.contains(peer.ip) { return offset }
                seen.append(peer.ip)
                offset += 5 + peer.name.count
            }
            return nil
        default:
            return nil
        }
    }

    /// The offset of the first name (its length byte) whose bytes satisfy `test`.
    private func firstName(where test: (UnsafeRawBufferPointer) -> Bool) -> Int? {
        switch type {
        case .hello:
            return test(helloName) ? 1 : nil
        case .full:
            var offset = 2
            for peer in peers {
                if test(peer.name) { return offset + 4 }
                offset += 5 + peer.name.count
            }
            return nil
        default:
            return nil
        }
    }
}
