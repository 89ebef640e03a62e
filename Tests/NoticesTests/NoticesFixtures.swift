import Foundation
import Notices

/// Notices of the shape staff write; people and databases come from TestSupport's `Fixtures`.
enum NoticesFixtures {
    static func draft(
        _ audience: Audience, messages: [String] = ["お知らせ: 窓口は{日時}に開きます。"],
        values: [String: String] = ["日時": "4月1日 9時"], sendAt: Date? = nil
    ) -> NoticeDraft {
        NoticeDraft(
            title: "窓口のお知らせ", messages: messages, placeholderValues: values, audience: audience, sendAt: sendAt,
            createdBy: "staff:1")
    }
}
