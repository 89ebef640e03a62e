import Testing

@testable import Applications

@Suite("Application state machine")
struct StateMachineTests {
    @Test func staffMoves_followTheReviewFlow() {
        #expect(ApplicationRules.staffTargets(from: .received) == [.inReview])
        #expect(Set(ApplicationRules.staffTargets(from: .inReview)) == [.approved, .rejected, .returned])
        #expect(ApplicationRules.staffTargets(from: .approved) == [.completed])
        for closed in [ApplicationStatus.rejected, .completed, .withdrawn, .returned, .draft] {
            #expect(ApplicationRules.staffTargets(from: closed).isEmpty)
        }
        #expect(!ApplicationRules.staffMayMove(from: .received, to: .approved))
    }

    @Test func residentMoves() {
        #expect(ApplicationRules.residentMayWithdraw(.received))
        #expect(ApplicationRules.residentMayWithdraw(.returned))
        #expect(!ApplicationRules.residentMayWithdraw(.inReview))
        #expect(!ApplicationRules.residentMayWithdraw(.approved))
        #expect(ApplicationRules.residentMayResubmit(.returned))
        #expect(!ApplicationRules.residentMayResubmit(.received))
    }

    @Test func closedStatuses() {
        #expect(Set(ApplicationStatus.allCases.filter(\.isClosed)) == [.rejected, .completed, .withdrawn])
    }
}
