import Foundation
import Notices
import TestSupport
import Testing

@Suite("Audiences: multicast chunks, personalised pushes, fallback")
struct PlannerTests {
    private func members(_ count: Int, linked: (Int) -> Bool = { _ in true }) -> [AudienceMember] {
        (0..<count).map {
            AudienceMember(
                residentID: Int64($0 + 1), name: "町民\($0 + 1)", districtName: "平取",
                lineUserID: linked($0) ? Fixtures.lineUserID($0 + 1) : nil)
        }
    }

    @Test func sameTextForTenThousand_isTwentyMulticastsOfFiveHundred() throws {
        let plan = try NoticePlanner.plan(NoticesFixtures.draft(.allLinked), members: members(10_000))
        #expect(!plan.personalised)
        #expect(plan.requests.count == 20)
        #expect(plan.requests.allSatisfy { $0.endpoint == .multicast && $0.recipients.count == 500 })
        let everyone = plan.requests.flatMap(\.recipients)
        #expect(Set(everyone).count == 10_000, "each recipient in exactly one chunk")
        #expect(plan.fallbacks.isEmpty)
    }

    @Test func chunksAreAtMostFiveHundred_withTheRemainderLast() throws {
        let plan = try NoticePlanner.plan(NoticesFixtures.draft(.allLinked), members: members(1_201))
        #expect(plan.requests.map(\.recipients.count) == [500, 500, 201])
    }

    @Test func aSingleLinkedRecipient_getsAPush() throws {
        let plan = try NoticePlanner.plan(NoticesFixtures.draft(.resident(1)), members: members(1))
        #expect(plan.requests.map(\.endpoint) == [.push])
    }

    @Test func personalisedText_goesByPush_onePerRecipient_withTheirOwnName() throws {
        let draft = NoticesFixtures.draft(
            .district("biratori"), messages: ["{氏名} 様、受付番号 {受付番号} の証明書ができました。"], values: [:])
        var withNumbers = draft
        withNumbers.residentValues = Dictionary(uniqueKeysWithValues: (1...3).map { (Int64($0), ["受付番号": "R\($0)"]) })
        let plan = try NoticePlanner.plan(withNumbers, members: members(3))
        #expect(plan.personalised)
        #expect(plan.requests.count == 3)
        #expect(plan.requests.allSatisfy { $0.endpoint == .push && $0.recipients.count == 1 })
        let body = try JSONSerialization.jsonObject(with: plan.requests[1].payload) as! [String: Any]
        #expect(body["to"] as? String == Fixtures.lineUserID(2))
        let text = ((body["messages"] as! [[String: Any]])[0]["text"] as! String)
        #expect(text == "町民2 様、受付番号 R2 の証明書ができました。")
    }

    @Test func aPersonalisedValueMissingForOneResident_failsTheWholeNotice() throws {
        var draft = NoticesFixtures.draft(.district("biratori"), messages: ["受付番号 {受付番号}"], values: [:])
        draft.residentValues = [1: ["受付番号": "R1"], 2: ["受付番号": "R2"]]
        #expect(throws: NoticeValidationError.unfilledPlaceholders(["受付番号"])) {
            try NoticePlanner.plan(draft, members: members(3))
        }
    }

    @Test func unlinkedResidents_getTheRenderedTextOnTheFallbackList() throws {
        let plan = try NoticePlanner.plan(
            NoticesFixtures.draft(.district("biratori"), messages: ["{氏名} 様", "窓口は{日時}です。"]),
            members: members(4) { $0 % 2 == 0 })
        #expect(plan.personalised)
        #expect(plan.requests.count == 2)
        #expect(plan.fallbacks.map(\.residentID) == [2, 4])
        #expect(plan.fallbacks[0].text == "町民2 様\n\n窓口は4月1日 9時です。")
    }

    @Test func duplicateResidents_areTargetedOnce_andAnEmptyAudienceIsRefused() throws {
        let twice = members(2) + members(2)
        let plan = try NoticePlanner.plan(NoticesFixtures.draft(.residents([1, 2, 1, 2])), members: twice)
        #expect(plan.requests.flatMap(\.recipients).count == 2)
        #expect(throws: NoticeValidationError.noRecipients) {
            try NoticePlanner.plan(NoticesFixtures.draft(.allLinked), members: [])
        }
    }

    @Test func payloads_areTheExactBodies_withTextMessages() throws {
        let plan = try NoticePlanner.plan(NoticesFixtures.draft(.allLinked, values: ["日時": "a/b"]), members: members(2))
        let body = String(decoding: plan.requests[0].payload, as: UTF8.self)
        #expect(
            body
                == #"{"messages":[{"text":"お知らせ: 窓口はa/bに開きます。","type":"text"}],"to":["U00000000000000000000000000000001","U00000000000000000000000000000002"]}"#
        )
        #expect(LINERequestBody.problem(in: plan.requests[0].payload, endpoint: .multicast) == nil)
    }
}
