import Testing
import WireBytes

/// An origin holds its file's name by number; the name reads back as it was given.
@Suite("Packet origins and their file names")
struct PacketOriginTests {
    @Test("a file's name reads back as given, by name or made once; no name stays none")
    func fileNames() {
        let time = Timestamp(seconds: 1_800_000_000, nanoseconds: 5)
        let names = ["capture.pcap", "other [2].pcapng", "é/ü.pcap", "", "capture.pcap "]
        for name in names {
            #expect(PacketOrigin(number: 1, time: time, file: name).file == name)
            #expect(PacketOrigin(number: 1, time: time, fileName: FileName(name)).file == name)
            #expect(FileName(name).name == name)
        }
        // One number per name, the same for the same name.
        #expect(Set(names.map { FileName($0) }.map(\.name)).count == names.count)
        #expect(FileName("capture.pcap") == FileName("capture.pcap"))
        #expect(FileName("capture.pcap") != FileName("other [2].pcapng"))
        var origin = PacketOrigin(number: 7, time: time, file: nil)
        #expect(origin.file == nil)
        origin.file = "later.pcap"
        #expect(origin.file == "later.pcap" && origin.number == 7 && origin.time == time)
        origin.file = nil
        #expect(origin.file == nil)
    }
}
