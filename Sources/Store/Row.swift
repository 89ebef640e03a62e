/// One result row, detached from its statement so it can outlive it.
public struct Row: Sendable {
    public let columns: [String]
    public let values: [SQLValue]

    public subscript(index: Int) -> SQLValue { values[index] }

    public subscript(column: String) -> SQLValue {
        guard let index = columns.firstIndex(of: column) else { return .null }
        return values[index]
    }

    /// Reads a column as `T`; a missing column, or a value of another type, throws.
    /// Use an Optional type for nullable columns.
    ///
    /// Inlinable so each caller gets a copy specialised for its `T`: unspecialised, the generic metadata
    /// lookups (`Optional<T>` built at run time) were a quarter of rendering マイページ (callgrind, issue #10).
    @inlinable
    public func get<T: SQLReadable>(_ column: String, as type: T.Type = T.self) throws -> T {
        guard let index = columns.firstIndex(of: column) else {
            throw RowDecodingError(column: column, reason: "no such column")
        }
        guard let value = T(sqlValue: values[index]) else {
            throw RowDecodingError(column: column, reason: "stored value is not \(T.self)")
        }
        return value
    }

    @inlinable
    public func get<T: SQLReadable>(_ index: Int, as type: T.Type = T.self) throws -> T {
        guard values.indices.contains(index) else {
            throw RowDecodingError(column: "#\(index)", reason: "no such column")
        }
        guard let value = T(sqlValue: values[index]) else {
            throw RowDecodingError(column: columns[index], reason: "stored value is not \(T.self)")
        }
        return value
    }
}

/// Names the column, never the value: values may be personal data.
public struct RowDecodingError: Error, CustomStringConvertible, Sendable {
    public let column: String
    public let reason: String

    public init(column: String, reason: String) {
        self.column = column
        self.reason = reason
    }
    public var description: String { "cannot read column \(column): \(reason)" }
}
