// Decodes the bytes of a discovery HELLO with peersniff's codec and prints the name.
import DiscoveryCodec

/// A board's HELLO as it arrives on UDP port 37020: type 0x01, the name's length, the name.
let hello: [UInt8] = [0x01, 0x07] + Array("board-7".utf8)

hello.withUnsafeBytes { payload in
    switch decodeFrame(payload) {
    case .frame(let view):
        // The view borrows `payload`; `owned()` copies it out.
        guard case .hello(let name) = view.owned() else { fatalError("not a HELLO") }
        print("\(view.type.name) name=\(name) warnings=\(view.warnings.codes)")
    case .malformed(let malformation):
        print("malformed: \(malformation.reason) at offset \(malformation.offset): \(malformation.detail)")
    }
}

// The same frame cut short: a malformation with its reason and offset.
hello.dropLast(2).withUnsafeBytes { payload in
    if case .malformed(let malformation) = decodeFrame(payload) {
        print("cut: \(malformation.reason) at offset \(malformation.offset)")
    }
}

// The encoder makes the same bytes.
print("encoded=\(Frame.hello(name: Name("board-7")).encoded() == hello)")
