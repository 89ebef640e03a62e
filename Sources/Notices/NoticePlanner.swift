import Foundation

/// Turns a draft and its resolved audience into the LINE requests to freeze, or says why it can't.
/// Pure: no database, no clock, so every rule here is tested directly.
///
/// - The same text for everyone goes by multicast, in chunks of at most 500 recipients (one recipient: push).
/// - A text that differs per resident (it uses a placeholder not given a shared value) is personalised and
///   goes by push, one request per recipient.
/// - Residents without an active link get the rendered text on the fallback list.
public enum NoticePlanner {
    public struct PlannedRequest: Sendable, Equatable {
        public let endpoint: LINEEndpoint
        public let recipients: [String]
        public let residentIDs: [Int64]
        /// The exact JSON body to send, byte for byte, on every attempt.
        public let payload: Data
    }

    public struct PlannedFallback: Sendable, Equatable {
        public let residentID: Int64
        public let text: String
    }

    public struct Plan: Sendable, Equatable {
        public let personalised: Bool
        public let requests: [PlannedRequest]
        public let fallbacks: [PlannedFallback]
        /// resident id -> LINE user id, for the residents reached by LINE.
        public let lineUserIDs: [Int64: String]
    }

    public static func plan(_ draft: NoticeDraft, members: [AudienceMember]) throws(NoticeValidationError) -> Plan {
        guard !draft.title.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw .emptyTitle }
        guard !draft.messages.isEmpty else { throw .noMessages }
        guard draft.messages.count <= LINELimits.maximumMessagesPerRequest else {
            throw .tooManyMessages(count: draft.messages.count)
        }
        var templates: [MessageTemplate] = []
        for text in draft.messages { templates.append(try MessageTemplate(text)) }
        guard !members.isEmpty else { throw .noRecipients }

        let personalised = templates.contains { !$0.missingPlaceholders(in: draft.placeholderValues).isEmpty }
        var seen: Set<Int64> = []
        let uniqueMembers = members.filter { seen.insert($0.residentID).inserted }

        var requests: [PlannedRequest] = []
        var fallbacks: [PlannedFallback] = []
        var lineUserIDs: [Int64: String] = [:]
        if personalised {
            for member in uniqueMembers {
                var values = member.ownPlaceholderValues
                values.merge(draft.residentValues[member.residentID] ?? [:]) { _, given in given }
                values.merge(draft.placeholderValues) { _, shared in shared }
                let texts = try render(templates, with: values)
                if let lineUserID = member.lineUserID {
                    requests.append(try request(.push, to: [lineUserID], residents: [member.residentID], texts: texts))
                    lineUserIDs[member.residentID] = lineUserID
                } else {
                    fallbacks.append(PlannedFallback(residentID: member.residentID, text: fallbackText(texts)))
                }
            }
        } else {
            let texts = try render(templates, with: draft.placeholderValues)
            let linked = uniqueMembers.filter { $0.lineUserID != nil }
            for member in uniqueMembers where member.lineUserID == nil {
                fallbacks.append(PlannedFallback(residentID: member.residentID, text: fallbackText(texts)))
            }
            if linked.count == 1 {
                requests.append(
                    try request(.push, to: [linked[0].lineUserID!], residents: [linked[0].residentID], texts: texts))
            } else {
                var start = 0
                while start < linked.count {
                    let chunk = linked[start..<min(start + LINELimits.maximumMulticastRecipients, linked.count)]
                    requests.append(
                        try request(
                            .multicast, to: chunk.map { $0.lineUserID! }, residents: chunk.map(\.residentID),
                            texts: texts))
                    start += LINELimits.maximumMulticastRecipients
                }
            }
            for member in linked { lineUserIDs[member.residentID] = member.lineUserID }
        }
        return Plan(personalised: personalised, requests: requests, fallbacks: fallbacks, lineUserIDs: lineUserIDs)
    }

    /// How the texts read on paper or over the phone: one message per paragraph.
    static func fallbackText(_ texts: [String]) -> String { texts.joined(separator: "\n\n") }

    private static func render(_ templates: [MessageTemplate], with values: [String: String])
        throws(NoticeValidationError) -> [String]
    {
        var texts: [String] = []
        for (index, template) in templates.enumerated() {
            let text = try template.render(values)
            try TextMessageRules.check(text, messageNumber: index + 1)
            texts.append(text)
        }
        return texts
    }

    private static func request(_ endpoint: LINEEndpoint, to recipients: [String], residents: [Int64], texts: [String])
        throws(NoticeValidationError) -> PlannedRequest
    {
        let payload = LINERequestBody.encode(endpoint: endpoint, recipients: recipients, texts: texts)
        guard payload.count <= LINELimits.maximumRequestBodyBytes else { throw .bodyTooLarge(bytes: payload.count) }
        return PlannedRequest(endpoint: endpoint, recipients: recipients, residentIDs: residents, payload: payload)
    }
}

/// The JSON bodies of LINE's push and multicast calls (messaging-api.yml: PushMessageRequest,
/// MulticastRequest, TextMessage). Only text messages are sent.
public enum LINERequestBody {
    struct TextMessage: Codable, Equatable {
        var type = "text"
        let text: String
    }

    struct Push: Codable {
        let to: String
        let messages: [TextMessage]
    }

    struct Multicast: Codable {
        let to: [String]
        let messages: [TextMessage]
    }

    static func encode(endpoint: LINEEndpoint, recipients: [String], texts: [String]) -> Data {
        let encoder = JSONEncoder()
        // Stable bytes: the frozen payload is what every retry sends and what the spec test validates.
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let messages = texts.map { TextMessage(text: $0) }
        switch endpoint {
        case .push:
            precondition(recipients.count == 1, "a push goes to exactly one recipient")
            return try! encoder.encode(Push(to: recipients[0], messages: messages))
        case .multicast:
            return try! encoder.encode(Multicast(to: recipients, messages: messages))
        }
    }

    /// Checks a body against LINE's limits before it goes out (the dry run uses this, and so does the fake
    /// LINE API in tests). Returns nil when it is fine, else what is wrong, without quoting content.
    public static func problem(in body: Data, endpoint: LINEEndpoint) -> String? {
        guard body.count <= LINELimits.maximumRequestBodyBytes else { return "body larger than 2 MB" }
        guard let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any] else {
            return "body is not a JSON object"
        }
        switch endpoint {
        case .push:
            guard let to = object["to"] as? String, !to.isEmpty else { return "push needs `to` as a string" }
        case .multicast:
            guard let to = object["to"] as? [Any], to.allSatisfy({ $0 is String }) else {
                return "multicast needs `to` as an array of strings"
            }
            guard (1...LINELimits.maximumMulticastRecipients).contains(to.count) else {
                return "multicast `to` has \(to.count) recipients; 1 to 500 allowed"
            }
        }
        guard let messages = object["messages"] as? [[String: Any]] else { return "`messages` must be an array" }
        guard (1...LINELimits.maximumMessagesPerRequest).contains(messages.count) else {
            return "\(messages.count) messages; 1 to 5 allowed"
        }
        for (index, message) in messages.enumerated() {
            guard message["type"] as? String == "text", let text = message["text"] as? String else {
                return "message \(index + 1) is not a text message"
            }
            guard !text.isEmpty, text.utf16.count <= LINELimits.maximumTextUTF16Units else {
                return "message \(index + 1) has \(text.utf16.count) UTF-16 units; 1 to 5000 allowed"
            }
        }
        return nil
    }
}
