import Foundation
import Store
import TestSupport

extension TemporaryDirectory {
    /// A migrations folder holding only the repository's files up to `version`, so a database can stop just
    /// before the migration a test is about.
    func migrations(through version: Int) throws -> URL {
        let folder = URL(fileURLWithPath: path("migrations-\(version)"))
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for name in try FileManager.default.contentsOfDirectory(atPath: RepositoryPaths.migrations.path)
        where name.hasSuffix(".sql") && Int(name.prefix(4))! <= version {
            try FileManager.default.copyItem(
                at: RepositoryPaths.migrations.appendingPathComponent(name), to: folder.appendingPathComponent(name))
        }
        return folder
    }
}

/// A received application (id 41) as 0005 shaped it, for migrations that must keep it and what hangs on it.
func insertReceivedApplication(on connection: Connection) throws {
    try connection.run(
        """
        INSERT INTO applications (id, reference, procedure_code, procedure_version, department, channel, status,
            answers, fee_yen, retention_years, created_at, submitted_at, updated_at, submission_token)
        VALUES (41, 'ABCDEFGH', 'water-start', 1, '建設水道課', 'web', 'received', '{}', 0, 1,
            '2026-05-01T00:00:00.000Z', '2026-05-01T00:00:00.000Z', '2026-05-01T00:00:00.000Z', 'submission-token-0041')
        """)
}
