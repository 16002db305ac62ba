/// Where a record comes from: the packet's number inside its file (as Wireshark
/// numbers it), its capture time, and the file's name when several were read.
public struct PacketOrigin: Sendable {
    public var number: Int
    public var time: Timestamp
    public var file: String?

    public init(number: Int, time: Timestamp, file: String?) {
        self.number = number
        self.time = time
        self.file = file
    }
}
