import Foundation
import Store

/// Builds databases the way production does: a temp WAL file, migrated with the real migrations.
public enum Fixtures {
    /// A migrated database in `directory`. The caller keeps `directory` alive as long as the database.
    public static func makeDatabase(
        in directory: TemporaryDirectory, name: String = "test.sqlite",
        configuration: DatabaseConfiguration = DatabaseConfiguration()
    ) throws -> Database {
        let database = try Database(path: directory.path(name), configuration: configuration)
        try Migrator(directory: RepositoryPaths.migrations).migrate(database)
        return database
    }
}
