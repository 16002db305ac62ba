import Synchronization

/// Where a record comes from: the packet's number inside its file (as Wireshark
/// numbers it), its capture time, and the file's name when several were read.
///
/// The name is kept once for the whole run (`FileName`) and the origin holds its
/// number: an origin is plain data, copied into every record and event and dropped
/// again without reference counting.
public struct PacketOrigin: Sendable {
    public var number: Int
    public var time: Timestamp
    /// The file's name, as `FileName` keeps it (0: none).
    @usableFromInline var fileNumber: UInt32

    public var file: String? {
        @inlinable get { fileNumber == 0 ? nil : FileName.name(of: fileNumber) }
        set { fileNumber = newValue.map { FileName($0).number } ?? 0 }
    }

    public init(number: Int, time: Timestamp, file: String?) {
        self.number = number
        self.time = time
        fileNumber = file.map { FileName($0).number } ?? 0
    }

    /// The same, with a name made once for the input it reads (no lookup per packet).
    @inlinable
    public init(number: Int, time: Timestamp, fileName file: FileName?) {
        self.number = number
        self.time = time
        fileNumber = file?.number ?? 0
    }
}

/// A file's name, kept once for the run: every origin that names it holds its number.
/// The names made are kept until the process ends (one per input file read).
public struct FileName: Sendable, Equatable {
    @usableFromInline let number: UInt32

    /// The names so far; a name's number is its place, from 1.
    static let names = Mutex<[String]>([])

    public init(_ name: String) {
        number = FileName.names.withLock { names in
            if let k = names.firstIndex(of: name) { return UInt32(k + 1) }
            names.append(name)
            return UInt32(names.count)
        }
    }

    public var name: String { FileName.name(of: number) }

    @usableFromInline
    static func name(of number: UInt32) -> String { names.withLock { $0[Int(number) - 1] } }
}
