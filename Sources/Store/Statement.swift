import CSQLite
import Foundation

/// A prepared statement owned by one `Connection`. Connections cache them by SQL text, so a statement is
/// reset and its bindings cleared after each use rather than finalized.
/// https://sqlite.org/c3ref/stmt.html
final class Statement {
    let handle: OpaquePointer
    let sql: String
    private unowned let connection: Connection
    private(set) lazy var columnNames: [String] = (0..<sqlite3_column_count(handle)).map {
        String(cString: sqlite3_column_name(handle, $0))
    }

    init(connection: Connection, sql: String) throws {
        var statement: OpaquePointer?
        let code = sqlite3_prepare_v3(
            connection.handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard code == SQLITE_OK, let statement else {
            throw SQLiteError(connection: connection.handle, code: code, sql: sql)
        }
        self.handle = statement
        self.sql = sql
        self.connection = connection
    }

    deinit {
        sqlite3_finalize(handle)
    }

    /// https://sqlite.org/c3ref/bind_blob.html — text and blobs are copied (SQLITE_TRANSIENT), so the Swift
    /// buffers need not outlive the call.
    func bind(_ arguments: [SQLValue]) throws {
        let expected = Int(sqlite3_bind_parameter_count(handle))
        guard arguments.count == expected else {
            throw SQLiteError(
                code: SQLITE_RANGE,
                message: "statement expects \(expected) arguments, got \(arguments.count)", sql: sql)
        }
        for (offset, value) in arguments.enumerated() {
            let index = Int32(offset + 1)
            let code: Int32
            switch value {
            case .null:
                code = sqlite3_bind_null(handle, index)
            case .integer(let integer):
                code = sqlite3_bind_int64(handle, index, integer)
            case .real(let real):
                code = sqlite3_bind_double(handle, index, real)
            case .text(let text):
                // Explicit withCString: the implicit String-to-pointer conversion heap-allocates a copy of
                // every short string, and SQLITE_TRANSIENT makes SQLite copy it again anyway.
                code = text.withCString { pointer in
                    sqlite3_bind_text64(
                        handle, index, pointer, UInt64(text.utf8.count), madoguchi_sqlite_transient(),
                        UInt8(SQLITE_UTF8))
                }
            case .blob(let data):
                code = data.withUnsafeBytes { buffer in
                    // A zero-length blob must still bind as a blob, not NULL: zeroblob(0) does that.
                    guard let base = buffer.baseAddress, buffer.count > 0 else {
                        return sqlite3_bind_zeroblob(handle, index, 0)
                    }
                    return sqlite3_bind_blob64(
                        handle, index, base, UInt64(buffer.count), madoguchi_sqlite_transient())
                }
            }
            guard code == SQLITE_OK else {
                throw SQLiteError(connection: connection.handle, code: code, sql: sql)
            }
        }
    }

    /// Steps once. Returns true while a row is available. https://sqlite.org/c3ref/step.html
    func step() throws -> Bool {
        let code = sqlite3_step(handle)
        switch code {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw SQLiteError(connection: connection.handle, code: code, sql: sql)
        }
    }

    func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    func currentRow() -> Row {
        let count = sqlite3_column_count(handle)
        var values: [SQLValue] = []
        values.reserveCapacity(Int(count))
        for column in 0..<count {
            values.append(value(at: column))
        }
        return Row(columns: columnNames, values: values)
    }

    private func value(at column: Int32) -> SQLValue {
        switch sqlite3_column_type(handle, column) {
        case SQLITE_INTEGER:
            return .integer(sqlite3_column_int64(handle, column))
        case SQLITE_FLOAT:
            return .real(sqlite3_column_double(handle, column))
        case SQLITE_TEXT:
            guard let text = sqlite3_column_text(handle, column) else { return .text("") }
            let length = Int(sqlite3_column_bytes(handle, column))
            return .text(
                String(decoding: UnsafeBufferPointer(start: text, count: length), as: UTF8.self))
        case SQLITE_BLOB:
            let length = Int(sqlite3_column_bytes(handle, column))
            guard length > 0, let bytes = sqlite3_column_blob(handle, column) else { return .blob(Data()) }
            return .blob(Data(bytes: bytes, count: length))
        default:
            return .null
        }
    }
}
