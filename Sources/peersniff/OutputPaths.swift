import Output
import WireBytes
#if canImport(Glibc)
import Glibc
#endif

/// A file named on the command line, and how the user named it (`-r`, `-w`, ...).
struct NamedFile {
    let option: String
    let path: PathName
    var text: String { "\(option) \(path.display)" }
}

/// What makes two names the same file: the device and inode of a file that is there,
/// the resolved name of one that is not yet. Devices, FIFOs and sockets are not
/// compared (two outputs to /dev/null lose nothing).
enum FileIdentity: Hashable {
    case inode(device: UInt64, inode: UInt64)
    case name([UInt8])
    case notAFile

    init(_ path: PathName) {
        var info = stat()
        if path.withCString({ stat($0, &info) }) == 0 {
            self = info.st_mode & S_IFMT == S_IFREG ? .inode(device: UInt64(info.st_dev), inode: UInt64(info.st_ino)) : .notAFile
        } else {
            self = .name(FileIdentity.resolved(path.bytes))
        }
    }

    /// A name that is not there yet: its folder resolved (links, `..`), and a dangling
    /// link under the name followed to where it points.
    static func resolved(_ bytes: [UInt8]) -> [UInt8] {
        var name = bytes
        for _ in 0..<40 {
            let slash = name.lastIndex(of: UInt8(ascii: "/"))
            let folder = slash.map { $0 == 0 ? [UInt8(ascii: "/")] : Array(name[..<$0]) } ?? [UInt8(ascii: ".")]
            let base = Array(slash.map { name[($0 + 1)...] } ?? name[...])
            let real = PathName(bytes: folder).withCString { realpath($0, nil) }
            let resolvedFolder = real.map { pointer in
                defer { free(pointer) }
                return Array(UnsafeBufferPointer(start: UnsafeRawPointer(pointer).assumingMemoryBound(to: UInt8.self), count: strlen(pointer)))
            } ?? folder
            let joined = resolvedFolder + (resolvedFolder.last == UInt8(ascii: "/") ? [] : [UInt8(ascii: "/")]) + base
            var target = [UInt8](repeating: 0, count: 4096)
            let length = PathName(bytes: joined).withCString { readlink($0, &target, target.count) }
            guard length > 0 else { return joined }
            let link = Array(target[..<length])
            name = link.first == UInt8(ascii: "/") ? link : resolvedFolder + [UInt8(ascii: "/")] + link
        }
        return name
    }
}

/// An output that is an input or another output would destroy the input, or lose
/// one output in the other: a usage error, said before anything is opened for
/// writing. `-r -` and `-o -` are the standard streams, not files.
func sameFileMessage(inputs: [NamedFile], outputs: [NamedFile]) -> String? {
    var seen: [(NamedFile, FileIdentity)] = []
    for input in inputs {
        let identity = FileIdentity(input.path)
        if identity != .notAFile { seen.append((input, identity)) }
    }
    let inputCount = seen.count
    for output in outputs {
        let identity = FileIdentity(output.path)
        guard identity != .notAFile else { continue }
        if let index = seen.firstIndex(where: { $0.1 == identity }) {
            let other = seen[index].0
            return index < inputCount
                ? "\(output.text) is the input \(other.text): an output never replaces an input"
                : "\(other.text) and \(output.text) are the same file: each output needs a file of its own"
        }
        seen.append((output, identity))
    }
    return nil
}

/// `--metrics` and `--html` are written at the end (offline) or every few seconds:
/// a folder that cannot be written or a name that cannot be made fails now, before
/// anything is read. Returns the message of the first that cannot be written.
func unwritableReplacedFile(_ files: [NamedFile]) -> String? {
    for file in files {
        if let failure = checkReplaceable(file.path) { return "\(file.text): \(failure.cause)" }
    }
    return nil
}

/// SIGHUP and SIGUSR1 that come before their handlers are installed wait, blocked,
/// instead of ending the process (systemd's reload right after a start). The
/// handlers unblock them once installed (PeersniffCore's Status.swift); a run with no
/// file to reopen unblocks SIGHUP with its default action (it ends the run).
func blockSignalsUntilHandled() {
    var signals = sigset_t()
    sigemptyset(&signals)
    sigaddset(&signals, SIGHUP)
    sigaddset(&signals, SIGUSR1)
    sigprocmask(SIG_BLOCK, &signals, nil)
}

/// SIGHUP with no file to reopen: what it always did, ending the run.
func unblockHangup() {
    var signals = sigset_t()
    sigemptyset(&signals)
    sigaddset(&signals, SIGHUP)
    sigprocmask(SIG_UNBLOCK, &signals, nil)
}
