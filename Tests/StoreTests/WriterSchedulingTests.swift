import Foundation
import Store
import TestSupport
import Testing

@Suite("Writer thread scheduling")
struct WriterSchedulingTests {
    let directory = TemporaryDirectory()

    /// See `SerialWriter.preferBatchScheduling`: the writer must not preempt the polling threads that feed it.
    @Test func theWriterThread_runsUnderSCHED_BATCH() throws {
        #if os(Linux)
            let database = try Fixtures.makeDatabase(in: directory)
            try database.write { try $0.execute("CREATE TABLE t (x)") }
            let tasks = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")
            var policies: [Int] = []
            for task in tasks {
                guard let name = try? String(contentsOfFile: "/proc/self/task/\(task)/comm", encoding: .utf8),
                    name.trimmingCharacters(in: .newlines) == "sqlite-writer",
                    let stat = try? String(contentsOfFile: "/proc/self/task/\(task)/stat", encoding: .utf8),
                    let afterName = stat.range(of: ") ", options: .backwards)
                else { continue }
                // Fields after "(comm) " start at field 3, state; policy is field 41 (proc(5)).
                let fields = stat[afterName.upperBound...].split(separator: " ")
                if let policy = Int(fields[41 - 3]) { policies.append(policy) }
            }
            #expect(!policies.isEmpty, "no thread named sqlite-writer")
            #expect(policies.allSatisfy { $0 == 3 }, "policies \(policies); 3 is SCHED_BATCH")
            database.close()
        #endif
    }
}
