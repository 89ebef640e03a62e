import Formats
import Foundation
import Store

/// Demo classes for `madoguchi demo-data`: upcoming sessions in all three districts (one full, with a
/// waitlist), and a held one with attendance and survey answers. Idempotent: nothing when sessions exist.
public enum ClassesDemoData {
    @discardableResult
    public static func seed(workflow: ClassWorkflow, staffID: Int64, residentID: Int64?, at now: Date) throws -> Int {
        let existing = try workflow.database.read { try ClassStore.fetchAllSessions(limit: 1, on: $0) }
        guard existing.isEmpty else { return 0 }
        let origin = AuditOrigin.none
        try workflow.addInstructor(name: "沙流 一郎", kind: "volunteer", staffID: staffID, origin: origin, at: now)
        try workflow.addInstructor(name: "まちづくり課 担当", kind: "staff", staffID: staffID, origin: origin, at: now)
        let today = CalendarDate.today(at: now)
        func draft(_ title: String, _ theme: String, _ venue: String, days: Int, capacity: Int, phones: Int)
            -> SessionDraft
        {
            let date = CalendarDate.adding(days: days, to: today)
            let start = JapanTime.startOfDay(date)!.addingTimeInterval(10 * 3600)
            return SessionDraft(
                title: title, themeCode: theme, venueCode: venue, startsAt: start,
                endsAt: start.addingTimeInterval(2 * 3600),
                capacity: capacity, loanPhones: phones, instructorIDs: [1, 2], bring: "お持ちのスマホ（なくても大丈夫です）、老眼鏡",
                notes: "ゆっくり進めます。わからないことは何度でも聞いてください。")
        }
        let plans = [
            draft("はじめてのスマホ教室", "smartphone-basics", "biratori-seikatsukan", days: 7, capacity: 10, phones: 5),
            draft("LINEをはじめよう（振内）", "line", "furenai-seikatsukan", days: 10, capacity: 3, phones: 1),
            draft("マイナンバーカードとスマホ", "my-number-card", "nukibetsu-seikatsukan", days: 14, capacity: 8, phones: 4),
        ]
        var ids: [Int64] = []
        for plan in plans { ids.append(try workflow.createSession(plan, staffID: staffID, origin: origin, at: now)) }
        // The 振内 LINE class is full, with two people waiting.
        let callers = [
            ("振内 一子", "フレナイ カズコ", "01457-3-0001"), ("振内 二郎", "フレナイ ジロウ", "01457-3-0002"),
            ("振内 三枝", "フレナイ サエ", "01457-3-0003"), ("振内 四郎", "フレナイ シロウ", "01457-3-0004"),
            ("振内 五月", "フレナイ サツキ", "01457-3-0005"),
        ]
        for (name, kana, phone) in callers {
            _ = try workflow.signUp(
                sessionID: ids[1],
                SignupRequest(
                    residentID: nil, fullName: name, fullNameKana: kana, phone: PhoneNumber.normalized(phone),
                    channel: .counter, loanPhone: .wait, staffID: staffID),
                origin: origin, at: now)
        }
        if let residentID {
            _ = try workflow.signUp(
                sessionID: ids[0],
                SignupRequest(
                    residentID: residentID, fullName: "平取 花子", fullNameKana: "ビラトリ ハナコ", phone: "0145720000",
                    channel: .web, loanPhone: .yes),
                origin: origin, at: now)
        }
        // A held class last week, with attendance and survey answers.
        var held = draft("キャッシュレス決済を使ってみよう", "cashless", "biratori-townhall", days: -7, capacity: 6, phones: 3)
        held.notes = ""
        let heldID = try workflow.createSession(
            held, staffID: staffID, origin: origin, at: held.startsAt.addingTimeInterval(-14 * 86_400))
        let attendees = [
            ("本町 一美", "ホンチョウ カズミ", "01457-2-1001", true, 5, "QRコードで支払いができました", "ネットスーパー"),
            ("本町 二男", "ホンチョウ ツギオ", "01457-2-1002", true, 4, "残高の確かめ方", "マイナポータル"),
            ("本町 三代", "ホンチョウ ミヨ", "01457-2-1003", false, 0, "", ""),
        ]
        var pendingSurveys: [(Int64, Int, String, String)] = []
        for (name, kana, phone, present, satisfaction, learned, next) in attendees {
            guard
                case .signedUp(let signup, _, _) = try workflow.signUp(
                    sessionID: heldID,
                    SignupRequest(
                        residentID: nil, fullName: name, fullNameKana: kana, phone: PhoneNumber.normalized(phone),
                        channel: .counter, loanPhone: .wait, staffID: staffID),
                    origin: origin, at: held.startsAt.addingTimeInterval(-3 * 86_400))
            else { continue }
            try workflow.markAttendance(
                signupID: signup.id, present: present, staffID: staffID, origin: origin, at: held.startsAt)
            if present {
                pendingSurveys.append((signup.id, satisfaction, learned, next))
            }
        }
        _ = try workflow.closeAttendance(sessionID: heldID, staffID: staffID, origin: origin, at: held.endsAt)
        for (signupID, satisfaction, learned, next) in pendingSurveys {
            try workflow.submitSurvey(
                signupID: signupID, .init(satisfaction: satisfaction, learned: learned, nextWish: next),
                staffID: staffID,
                origin: origin, at: held.endsAt.addingTimeInterval(3600))
        }
        return ids.count + 1
    }
}
