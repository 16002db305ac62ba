import DiscoveryCodec
import WireBytes

/// `legacy-firmware` (warning): old JSON firmware on the LAN.
///
/// The firmware: old boards announce themselves with a JSON object, never answer
/// PING and ignore binary frames, so current boards declare them offline between
/// their announcements and re-add them at the next one. Explains the OFFLINE storms,
/// flapping, false OFFLINEs and losses about those devices (`Explanations`).
struct LegacyFirmware {
    static let maxNamed = 16

    var first: Timestamp?
    var frames = 0

    mutating func legacy(at time: Timestamp) {
        frames += 1
        if first == nil { first = time }
    }

    func diagnose(_ ctx: DiagnosisContext) -> Diagnosis? {
        guard let first else { return nil }
        let devices = ctx.analyzer.nodes.storage.filter { $0.framesByType[FrameType.legacy.index] > 0 }.sorted { $0.ip < $1.ip }
        guard !devices.isEmpty else { return nil }
        var list = DiagnosisMessage()
        for (n, device) in devices.prefix(LegacyFirmware.maxNamed).enumerated() {
            list += (n == 0 ? "" : ", ") + ctx.label(device.ip)
            var notes: [String] = []
            if let version = device.legacyVersion { notes.append("version \(terminalVersion(version))") }
            if device.timesDeclaredOffline > 0 { notes.append("declared offline \(device.timesDeclaredOffline) time\(plural(device.timesDeclaredOffline))") }
            if !notes.isEmpty { list += " (\(prose: notes.joined(separator: ", ")))" }
        }
        if devices.count > LegacyFirmware.maxNamed { list += " and \(devices.count - LegacyFirmware.maxNamed) more" }
        let one = devices.count == 1
        let declared = devices.reduce(0) { $0 + $1.timesDeclaredOffline }
        var text: DiagnosisMessage = "\(devices.count) device\(prose: one ? " runs" : "s run") old JSON firmware (\(frames) announcement\(prose: plural(frames))): \(list)."
        if declared > 0 {
            text += " \(prose: one ? "It never answers" : "They never answer") PING, so current boards keep declaring \(prose: one ? "it" : "them") offline between \(prose: one ? "its" : "their") announcements (\(declared) time\(prose: plural(declared)) in all) and re-adding \(prose: one ? "it" : "them") at the next one."
        } else {
            text += " \(prose: one ? "It never answers" : "They never answer") PING, so current boards will declare \(prose: one ? "it" : "them") offline between announcements."
        }
        text += " \(prose: one ? "It ignores" : "They ignore") binary frames and never learn the current boards. Update \(prose: one ? "its" : "their") firmware."
        return Diagnosis(code: .legacyFirmware, ips: devices.prefix(64).map(\.ip), since: first, until: nil, message: text,
                         figures: [("count", .count(devices.count)), ("declared_offline", .count(declared))])
    }

    /// A version string from the network, kept to what a version is made of.
    private func terminalVersion(_ version: String) -> String {
        let kept = version.unicodeScalars.prefix(32).filter { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || ".-_+".unicodeScalars.contains($0)) }
        return kept.isEmpty ? "?" : String(String.UnicodeScalarView(kept))
    }
}
