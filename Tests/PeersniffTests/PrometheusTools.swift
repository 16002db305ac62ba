import Foundation
import Testing
import EndToEndSupport

// Prometheus's own tools, as the metrics tests use them: promtool, node_exporter's
// textfile collector, a Prometheus server, and the text format read back.

/// Prometheus's promtool: `check metrics` reads a file on standard input and says
/// what it does not accept (a format error, or a lint problem of the conventions).
enum Promtool {
    static func checkMetrics(_ file: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let path = try toolPath("promtool")
        let run = try runProgram(path, ["check", "metrics"], stdin: try Data(contentsOf: URL(fileURLWithPath: file)))
        #expect(run.status == 0, "promtool check metrics \(file): \(run.stdout) \(run.stderr)", sourceLocation: sourceLocation)
        #expect(run.stdout.isEmpty && run.stderr.isEmpty, "promtool's remarks on \(file): \(run.stdout) \(run.stderr)", sourceLocation: sourceLocation)
    }
}

/// Debian's prometheus-node-exporter with only the textfile collector, on a loopback
/// port, reading one folder; stopped by the test that started it.
final class NodeExporter {
    let port: Int
    let process: SpawnedProgram

    init(directory: String) throws {
        (port, process) = try startServer(try toolPath("prometheus-node-exporter"), ports: 20000...45000, ready: "/metrics") { port, _ in
            ["--web.listen-address=127.0.0.1:\(port)", "--collector.disable-defaults",
             "--collector.textfile", "--collector.textfile.directory=\(directory)"]
        }
    }

    func scrape() throws -> String {
        try httpGet("http://127.0.0.1:\(port)/metrics")
    }

    func stop() { process.kill() }
}

/// GET with curl; the body.
func httpGet(_ url: String) throws -> String {
    let run = try runProgram(try toolPath("curl"), ["-sS", "--max-time", "5", "--fail", url])
    guard run.status == 0 else { throw NamespaceSetupFailed(description: "GET \(url): \(run.stderr)") }
    return run.stdout
}

/// Starts a server on a random loopback port of `ports` (another port if that one
/// was taken, five tries) and waits until it answers `ready`.
func startServer(_ path: String, ports: ClosedRange<Int>, ready: String, timeout: Double = 15,
                 _ arguments: (_ port: Int, _ attempt: Int) -> [String]) throws -> (port: Int, process: SpawnedProgram) {
    var lastError = ""
    for attempt in 0..<5 {
        let port = Int.random(in: ports)
        let process = try SpawnedProgram(path, arguments(port, attempt))
        if waitForHTTP("http://127.0.0.1:\(port)\(ready)", process: process, timeout: timeout) { return (port, process) }
        lastError = process.stderr
        process.kill()
    }
    throw NamespaceSetupFailed(description: "\(path) did not start: \(lastError.suffix(2000))")
}

/// Waits until `url` answers (the server started), or the process ended.
func waitForHTTP(_ url: String, process: SpawnedProgram, timeout: Double = 15) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if !process.isRunning { return false }
        if (try? httpGet(url)) != nil { return true }
        Thread.sleep(forTimeInterval: 0.1)
    }
    return false
}

/// The text format read back by the test itself: `name{label="value",...} value`,
/// with the format's three escapes undone. Comments are checked for shape.
struct Exposition {
    struct Sample {
        var name: String
        var labels: [String: String]
        var value: Double
    }
    var samples: [Sample] = []

    struct Malformed: Error, CustomStringConvertible { var description: String }

    init(_ text: String) throws {
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) where !line.isEmpty {
            if line.hasPrefix("# HELP ") || line.hasPrefix("# TYPE ") { continue }
            guard !line.hasPrefix("#") else { throw Malformed(description: "comment \(line)") }
            let scalars = Array(line.unicodeScalars)
            var i = 0
            var name = ""
            while i < scalars.count, scalars[i] != "{", scalars[i] != " " { name.unicodeScalars.append(scalars[i]); i += 1 }
            var labels: [String: String] = [:]
            if i < scalars.count, scalars[i] == "{" {
                i += 1
                while i < scalars.count, scalars[i] != "}" {
                    var label = ""
                    while i < scalars.count, scalars[i] != "=" { label.unicodeScalars.append(scalars[i]); i += 1 }
                    i += 2 // ="
                    var value = ""
                    while i < scalars.count, scalars[i] != "\"" {
                        if scalars[i] == "\\", i + 1 < scalars.count {
                            switch scalars[i + 1] {
                            case "n": value += "\n"
                            case "\\": value += "\\"
                            case "\"": value += "\""
                            default: throw Malformed(description: "escape \\\(scalars[i + 1]) in \(line)")
                            }
                            i += 2
                        } else {
                            value.unicodeScalars.append(scalars[i]); i += 1
                        }
                    }
                    i += 1 // closing quote
                    if i < scalars.count, scalars[i] == "," { i += 1 }
                    labels[label] = value
                }
                i += 1
            }
            let rest = String(String.UnicodeScalarView(scalars[i...])).trimmingCharacters(in: .whitespaces)
            guard let value = Double(rest.split(separator: " ").first.map(String.init) ?? "") else { throw Malformed(description: "value in \(line)") }
            samples.append(Sample(name: name, labels: labels, value: value))
        }
    }

    /// The value of the one series of `name` whose labels include `labels`.
    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        let matching = samples.filter { sample in sample.name == name && labels.allSatisfy { key, value in sample.labels[key] == value } }
        return matching.count == 1 ? matching[0].value : nil
    }
}

/// Debian's prometheus on a loopback port, scraping one target every second, with its
/// data in the test's folder; stopped by the test.
final class PrometheusServer {
    let port: Int
    let process: SpawnedProgram

    init(target: String, folder: URL) throws {
        let path = try toolPath("prometheus")
        let config = folder.appendingPathComponent("prometheus.yml")
        try """
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            scrape_configs:
              - job_name: peersniff
                static_configs:
                  - targets: ['\(target)']
            """.write(to: config, atomically: true, encoding: .utf8)
        (port, process) = try startServer(path, ports: 45001...60000, ready: "/-/ready", timeout: 30) { port, attempt in
            ["--config.file=\(config.path)", "--web.listen-address=127.0.0.1:\(port)",
             "--storage.tsdb.path=\(folder.appendingPathComponent("data-\(attempt)").path)"]
        }
    }

    struct Series {
        var labels: [String: String]
        var value: Double
    }

    /// An instant query through the HTTP API.
    func query(_ expression: String) throws -> [Series] {
        let run = try runProgram(try toolPath("curl"), ["-sS", "--max-time", "5", "--fail", "http://127.0.0.1:\(port)/api/v1/query",
                                                        "--data-urlencode", "query=\(expression)"])
        guard run.status == 0, let object = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any],
              object["status"] as? String == "success", let data = object["data"] as? [String: Any],
              let result = data["result"] as? [[String: Any]] else {
            throw NamespaceSetupFailed(description: "query \(expression): \(run.stdout) \(run.stderr)")
        }
        return result.map { entry in
            let labels = entry["metric"] as? [String: String] ?? [:]
            let value = (entry["value"] as? [Any])?.last as? String
            return Series(labels: labels, value: value.flatMap(Double.init) ?? .nan)
        }
    }

    /// Queries until `condition` holds (scrapes come every second), or fails after `timeout`.
    @discardableResult
    func await(_ what: String, _ expression: String, timeout: Double = 20, sourceLocation: SourceLocation = #_sourceLocation,
               _ condition: ([Series]) -> Bool) throws -> [Series] {
        let deadline = Date().addingTimeInterval(timeout)
        var last: [Series] = []
        while Date() < deadline {
            last = try query(expression)
            if condition(last) { return last }
            Thread.sleep(forTimeInterval: 0.25)
        }
        Issue.record("\(what): \(expression) gave \(last.map { "\($0.labels) \($0.value)" }) for \(timeout) s", sourceLocation: sourceLocation)
        return last
    }

    func stop() { process.kill() }
}
