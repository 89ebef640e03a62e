import Foundation
import TestSupport
import Testing

@Suite("deploy/: the notices timer and service")
struct NoticesDeployTests {
    private func read(_ name: String) throws -> String {
        try String(contentsOf: RepositoryPaths.deploy.appendingPathComponent(name), encoding: .utf8)
    }

    /// `Key=value` lines, without comments.
    private func settings(_ unit: String) -> [(String, String)] {
        unit.split(separator: "\n").compactMap { line in
            let text = line.trimmingCharacters(in: .whitespaces)
            guard !text.hasPrefix("#"), let equals = text.firstIndex(of: "=") else { return nil }
            return (String(text[..<equals]), String(text[text.index(after: equals)...]))
        }
    }

    @Test func theTimerRunsTheServiceEveryMinute_andTheServiceRunsACommandThatExists() throws {
        let timer = settings(try read("madoguchi-notices.timer"))
        #expect(timer.contains { $0 == ("OnCalendar", "minutely") })
        #expect(timer.contains { $0 == ("Unit", "madoguchi-notices.service") })
        let service = settings(try read("madoguchi-notices.service"))
        let execStart = try #require(service.first { $0.0 == "ExecStart" }?.1)
        #expect(execStart.hasPrefix("/opt/madoguchi/bin/madoguchi notices send"))
        // The job named in deploy/ exists in the CLI and accepts the unit's options.
        let arguments = execStart.split(separator: " ").dropFirst().map(String.init)
        let help = try SenderProcess.run(arguments + ["--help"], environment: [:], in: TemporaryDirectory())
        #expect(help.exitCode == 0)
        #expect(service.contains { $0 == ("SuccessExitStatus", "75") }, "work remaining is not a failure")
    }

    @Test func theServiceIsSandboxedLikeTheServer() throws {
        let server = Set(settings(try read("madoguchi.service")).map { "\($0.0)=\($0.1)" })
        let notices = Set(settings(try read("madoguchi-notices.service")).map { "\($0.0)=\($0.1)" })
        for hardening in [
            "ProtectSystem=strict", "ReadWritePaths=/var/lib/madoguchi", "NoNewPrivileges=yes", "PrivateTmp=yes",
            "CapabilityBoundingSet=", "MemoryDenyWriteExecute=yes", "SystemCallFilter=@system-service",
            "User=madoguchi",
            "UMask=0077", "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
        ] {
            #expect(server.contains(hardening) && notices.contains(hardening), "\(hardening)")
        }
    }

    @Test func theEnvironmentExample_namesEveryLINESetting_andHoldsNoSecret() throws {
        let example = try read("madoguchi.env.example")
        for variable in [
            "MADOGUCHI_LINE_API_BASE", "MADOGUCHI_LINE_CHANNEL_TOKEN_FILE", "MADOGUCHI_LINE_CHANNEL_SECRET_FILE",
            "MADOGUCHI_LINE_HEADROOM",
        ] {
            #expect(example.contains("\n\(variable)="), "\(variable)")
        }
        #expect(!example.contains("MADOGUCHI_LINE_CHANNEL_TOKEN="), "the token itself never goes in the environment")
    }
}
