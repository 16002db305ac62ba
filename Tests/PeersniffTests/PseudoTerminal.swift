import Foundation
@testable import Output
import Testing
import EndToEndSupport
#if canImport(Glibc)
import Glibc
#endif

/// A program run with its standard output on a pseudo-terminal of a given size (as a
/// person's terminal would be), its screen followed by a small terminal emulator.
/// Standard error goes to a pipe of its own.
final class TerminalProgram: @unchecked Sendable {
    let pid: pid_t
    let screen: TerminalScreen
    private let master: Int32
    private let lock = NSLock()
    private var transcript: [UInt8] = []
    private var err: [UInt8] = []
    private var exitStatus: Int32? = nil
    private let drained = DispatchGroup()

    init(_ path: String, _ arguments: [String], rows: Int, columns: Int, extraEnvironment: [String: String] = [:]) throws {
        // posix_openpt, unlockpt and ptsname, spelled out (Glibc's module does not import them):
        // TIOCSPTLCK and TIOCGPTN, the same on x86_64 and arm64.
        let master = open("/dev/ptmx", O_RDWR | O_NOCTTY)
        var unlock: Int32 = 0
        var number: UInt32 = 0
        guard master >= 0, ioctl(master, UInt(0x4004_5431), &unlock) == 0, ioctl(master, UInt(0x8004_5430), &number) == 0 else {
            throw NamespaceSetupFailed(description: "no pseudo-terminal: \(String(cString: strerror(errno)))")
        }
        var size = winsize(ws_row: UInt16(rows), ws_col: UInt16(columns), ws_xpixel: 0, ws_ypixel: 0)
        guard ioctl(master, UInt(TIOCSWINSZ), &size) == 0 else {
            throw NamespaceSetupFailed(description: "TIOCSWINSZ: \(String(cString: strerror(errno)))")
        }
        let slavePath = "/dev/pts/\(number)"
        let slave = open(slavePath, O_RDWR | O_NOCTTY)
        guard slave >= 0 else { throw NamespaceSetupFailed(description: "\(slavePath): \(String(cString: strerror(errno)))") }
        var errFDs: [Int32] = [0, 0]
        guard pipe(&errFDs) == 0 else { throw NamespaceSetupFailed(description: "pipe") }
        for fd in [master, slave] + errFDs { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        prepareSpawn(&actions, &attributes, output: slave, error: errFDs[1])
        defer {
            posix_spawn_file_actions_destroy(&actions)
            posix_spawnattr_destroy(&attributes)
        }
        var environment = ProcessInfo.processInfo.environment
        environment["TERM"] = "xterm"
        environment["NO_COLOR"] = nil
        // The window's size is what the terminal says (COLUMNS would override it, as for ls).
        environment["COLUMNS"] = nil
        for (key, value) in extraEnvironment { environment[key] = value }
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv + envp { free(pointer) } }
        var child: pid_t = 0
        let spawned = posix_spawn(&child, path, &actions, &attributes, argv, envp)
        close(slave)
        close(errFDs[1])
        guard spawned == 0 else {
            close(master)
            close(errFDs[0])
            throw NamespaceSetupFailed(description: "cannot start \(path): \(String(cString: strerror(spawned)))")
        }
        pid = child
        self.master = master
        screen = TerminalScreen(rows: rows, columns: columns)
        for (fd, isTerminal) in [(master, true), (errFDs[0], false)] {
            drained.enter()
            DispatchQueue.global().async { [self] in
                var buffer = [UInt8](repeating: 0, count: 65536)
                while true {
                    let count = read(fd, &buffer, buffer.count)
                    if count < 0 && errno == EINTR { continue }
                    // EIO: the terminal's last writer closed it.
                    if count <= 0 { break }
                    let bytes = Array(buffer[0..<count])
                    lock.withLock {
                        if isTerminal { transcript.append(contentsOf: bytes) } else { err.append(contentsOf: bytes) }
                    }
                    if isTerminal { screen.feed(bytes) }
                }
                close(fd)
                drained.leave()
            }
        }
    }

    /// Everything written to the terminal so far, colour and cursor codes removed.
    var plainTranscript: String {
        lock.withLock { String(decoding: transcript, as: UTF8.self) }
            .replacingOccurrences(of: "\u{1B}\\[[0-9;?]*[A-Za-z]", with: "", options: .regularExpression)
    }
    var stderr: String { lock.withLock { String(decoding: err, as: UTF8.self) } }

    var isRunning: Bool {
        lock.withLock {
            if exitStatus == nil { exitStatus = reapIfEnded(pid) }
            return exitStatus == nil
        }
    }

    func signal(_ number: Int32) { if isRunning { _ = Glibc.kill(pid, number) } }

    @discardableResult
    func waitForExit(timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while isRunning {
            if Date() >= deadline { return false }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return true
    }

    /// Waits until the screen satisfies `condition`; returns the screen then (or the last one).
    func waitForScreen(timeout: Double, _ condition: ([String]) -> Bool) -> (met: Bool, screen: [String]) {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let lines = screen.lines
            if condition(lines) { return (true, lines) }
            if Date() >= deadline { return (false, lines) }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    /// Ends it (SIGKILL) if it still runs; the exit status once ended.
    func finish(timeout: Double = 5) -> Int32 {
        if !waitForExit(timeout: timeout) {
            signal(SIGKILL)
            waitForExit(timeout: 5)
        }
        drained.wait()
        return lock.withLock { exitStatus ?? -1 }
    }
}

/// Just enough of a terminal to see what a person sees: printable characters at the
/// cursor (wide ones over two cells), CR, LF, cursor home and position, erase in line
/// and below, colours ignored. Notes every line that reached the last column (it would
/// wrap) and every scroll (the picture was taller than the window).
final class TerminalScreen: @unchecked Sendable {
    let rows: Int
    let columns: Int
    private let lock = NSLock()
    private var cells: [[String]]
    private var row = 0, column = 0
    private var pending: [UInt8] = []
    /// Writes that reached the last column, and line feeds on the last row.
    private(set) var overflows = 0
    private(set) var scrolls = 0
    /// Redraws seen (cursor home).
    private(set) var redraws = 0

    init(rows: Int, columns: Int) {
        self.rows = rows
        self.columns = columns
        cells = Array(repeating: Array(repeating: " ", count: columns), count: rows)
    }

    /// The screen as it stood after the latest complete redraw (the picture ends by
    /// erasing below it), so that a look never catches a picture half drawn.
    private var complete: [[String]]? = nil

    var lines: [String] {
        lock.withLock {
            (complete ?? cells).map { row in
                var line = row.joined()
                while line.hasSuffix(" ") { line.removeLast() }
                return line
            }
        }
    }

    var counts: (overflows: Int, scrolls: Int, redraws: Int) { lock.withLock { (overflows, scrolls, redraws) } }

    func feed(_ bytes: [UInt8]) {
        lock.withLock {
            pending.append(contentsOf: bytes)
            var i = 0
            let b = pending
            parsing: while i < b.count {
                let byte = b[i]
                switch byte {
                case 0x1B:
                    guard i + 1 < b.count else { break parsing }
                    if b[i + 1] != UInt8(ascii: "[") { i += 2; continue }
                    var j = i + 2
                    while j < b.count, !(0x40...0x7E).contains(b[j]) { j += 1 }
                    guard j < b.count else { break parsing }
                    let parameters = String(decoding: b[(i + 2)..<j], as: UTF8.self)
                    control(b[j], parameters.split(separator: ";").map { Int($0) ?? 0 })
                    i = j + 1
                case 0x0D: column = 0; i += 1
                case 0x0A:
                    if row == rows - 1 {
                        scrolls += 1
                        cells.removeFirst()
                        cells.append(Array(repeating: " ", count: columns))
                    } else {
                        row += 1
                    }
                    i += 1
                case 0x00..<0x20, 0x7F: i += 1
                default:
                    let length = byte < 0xC0 ? 1 : byte < 0xE0 ? 2 : byte < 0xF0 ? 3 : 4
                    guard i + length <= b.count else { break parsing }
                    let scalar = String(decoding: b[i..<(i + length)], as: UTF8.self).unicodeScalars.first!
                    put(scalar)
                    i += length
                }
            }
            pending.removeFirst(i)
        }
    }

    private func put(_ scalar: Unicode.Scalar) {
        let width = displayColumns(scalar)
        if width == 0 {
            if column > 0 { cells[row][column - 1].unicodeScalars.append(scalar) }
            return
        }
        if column + width > columns - 1 { overflows += 1 }
        if column + width > columns {
            // Autowrap.
            column = 0
            if row == rows - 1 { scrolls += 1; cells.removeFirst(); cells.append(Array(repeating: " ", count: columns)) } else { row += 1 }
        }
        cells[row][column] = String(scalar)
        if width == 2 { cells[row][column + 1] = "" }
        column += width
    }

    private func control(_ final: UInt8, _ parameters: [Int]) {
        switch final {
        case UInt8(ascii: "H"):
            row = max(0, min(rows - 1, (parameters.first ?? 1) - 1))
            column = max(0, min(columns - 1, (parameters.count > 1 ? parameters[1] : 1) - 1))
            if parameters.isEmpty { redraws += 1 }
        case UInt8(ascii: "K"):
            for c in column..<columns { cells[row][c] = " " }
        case UInt8(ascii: "J"):
            if parameters.first == 2 {
                cells = Array(repeating: Array(repeating: " ", count: columns), count: rows)
                // The summary follows: the screen is what it writes from now on.
                complete = nil
            } else {
                for c in column..<columns { cells[row][c] = " " }
                for r in (row + 1)..<max(row + 1, rows) { cells[r] = Array(repeating: " ", count: columns) }
                complete = cells
            }
        default:
            break
        }
    }
}
