import Foundation
import Security
import Store

/// The one step that changes KPI data from the staff pages: an admin enters (or corrects, or clears) the figures
/// of a fiscal year. Each changed figure is a new history row holding the old and the new value, and an audit
/// row naming it, in one write.
public struct KPIWorkflow: Sendable {
    public let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// Returns the figures that changed.
    @discardableResult
    public func enterFigures(
        _ values: [EnteredFigure: Int?], fiscalYear: Int, staffID: Int64, clientAddress: String?, requestID: String?,
        at now: Date
    ) throws -> [EnteredFigure] {
        try database.write { connection in
            var changed: [EnteredFigure] = []
            for figure in EnteredFigure.allCases {
                guard let value = values[figure] else { continue }
                guard
                    let rowID = try KPIStore.insertFigure(
                        figure, value: value, fiscalYear: fiscalYear, staffID: staffID, at: now, on: connection)
                else { continue }
                try AuditLog.append(
                    AuditEvent(
                        actor: .staff(id: staffID), action: "kpi_figure.enter", subjectType: "kpi_entered_figure",
                        subjectID: String(rowID), clientAddress: clientAddress, requestID: requestID),
                    at: now, on: connection)
                changed.append(figure)
            }
            return changed
        }
    }

    public func figureHistory(fiscalYear: Int) throws -> [KPIStore.FigureEntry] {
        try database.read { try KPIStore.fetchFigureHistory(fiscalYear: fiscalYear, on: $0) }
    }

    public func currentFigures(fiscalYear: Int) throws -> [EnteredFigure: Int] {
        try database.read { try KPIStore.fetchCurrentFigures(fiscalYear: fiscalYear, on: $0) }
    }
}
