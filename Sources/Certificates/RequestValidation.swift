import Formats
import Foundation
import Web

/// What a resident sent, from the web form or the JSON API, before it is checked. Every value is the text the
/// form posts, so both paths give the same messages beside the same fields.
public struct RequestInput: Sendable {
    public var typeCode: String
    public var copies: String
    public var requester: String
    /// Option code → "yes" | "no" | a 年度.
    public var options: [String: String]
    public var purpose: String
    public var delivery: String
    public var pickupDate: String
    public var mailingAddress: String
    public var payment: String
    /// The 委任状 as uploaded: name, the type the sender claimed, the bytes.
    public var letterOfAttorney: (filename: String, declaredType: String?, data: Data)?

    public init(
        typeCode: String, copies: String = "1", requester: String = "self", options: [String: String] = [:],
        purpose: String = "", delivery: String = "counter", pickupDate: String = "", mailingAddress: String = "",
        payment: String = "counter", letterOfAttorney: (filename: String, declaredType: String?, data: Data)? = nil
    ) {
        self.typeCode = typeCode
        self.copies = copies
        self.requester = requester
        self.options = options
        self.purpose = purpose
        self.delivery = delivery
        self.pickupDate = pickupDate
        self.mailingAddress = mailingAddress
        self.payment = payment
        self.letterOfAttorney = letterOfAttorney
    }
}

/// The checks of the issue's "Bad input" list, each a Japanese message beside its field. Nothing is stored
/// here: a request exists only once the resident confirms it.
public enum RequestValidation {
    public static let maximumLetterBytes = 5 * 1_048_576
    /// How far ahead a pickup day may be chosen.
    public static let pickupWindowDays = 30

    public struct Context: Sendable {
        public let calendar: ServiceCalendar
        /// The address on the resident record, the only one the town mails to.
        public let recordedAddress: String
        public let now: Date
        public let onlinePaymentAvailable: Bool

        public init(calendar: ServiceCalendar, recordedAddress: String, now: Date, onlinePaymentAvailable: Bool) {
            self.calendar = calendar
            self.recordedAddress = recordedAddress
            self.now = now
            self.onlinePaymentAvailable = onlinePaymentAvailable
        }
    }

    public static func check(_ input: RequestInput, type: CertificateType, context: Context) -> (
        NewCertificateRequest?, FormErrors
    ) {
        var errors = FormErrors()
        let copiesText = CharacterWidth.halfwidth(input.copies).trimmingCharacters(in: .whitespaces)
        let copies = Int(copiesText) ?? 0
        if !(1...CertificateType.maximumCopies).contains(copies) {
            errors.add("copies", "通数は1通から\(CertificateType.maximumCopies)通までの数字で入力してください。")
        }
        let requester = Requester(rawValue: input.requester)
        if requester == nil {
            errors.add("requester", "請求する方を選んでください。")
        } else if let requester, !type.requesters.contains(requester) {
            errors.add("requester", "\(type.name)は\(requester == .agent ? "代理人" : requester.label)からの請求を受け付けていません。")
        }
        var options: [String: String] = [:]
        for option in type.options {
            let value = input.options[option.code]?.trimmingCharacters(in: .whitespaces) ?? ""
            switch option.kind {
            case .boolean:
                let yes = value == "yes"
                if !value.isEmpty && value != "yes" && value != "no" {
                    errors.add(option.formName, "\(option.label)は「記載する」か「記載しない」を選んでください。")
                } else if yes && requester == .agent && !option.agentAllowed {
                    errors.add(option.formName, "代理人は\(option.label)のある\(type.name)を請求できません。「記載しない」を選んでください。")
                }
                options[option.code] = yes ? "yes" : "no"
            case .fiscalYear:
                let years = CertificateType.fiscalYears(option, at: context.now)
                if let year = Int(value), years.contains(year) {
                    options[option.code] = String(year)
                } else {
                    errors.add(option.formName, "\(option.label)を選んでください。")
                }
            }
        }
        let purpose = input.purpose.trimmingCharacters(in: .whitespacesAndNewlines)
        if type.purposeRequired && purpose.isEmpty {
            errors.add("purpose", "使用目的（提出先など）を入力してください。")
        } else if purpose.count > 200 {
            errors.add("purpose", "使用目的は200文字以内で入力してください。")
        }
        let delivery = Delivery(rawValue: input.delivery)
        var pickupDate: String?
        var mailingAddress: String?
        switch delivery {
        case nil:
            errors.add("delivery", "受け取り方法を選んでください。")
        case .counter:
            if let message = pickupProblem(input.pickupDate, context: context) {
                errors.add("pickup_date", message)
            } else {
                pickupDate = CalendarDate.parse(input.pickupDate)
            }
        case .mail:
            let given = input.mailingAddress.trimmingCharacters(in: .whitespaces)
            if !given.isEmpty && normalizeAddress(given) != normalizeAddress(context.recordedAddress) {
                errors.add("mailing_address", "郵送先は住民登録の住所（\(context.recordedAddress)）に限ります。別の住所へは郵送できません。")
            }
            mailingAddress = context.recordedAddress
        }
        let payment = PaymentChoice(rawValue: input.payment)
        if payment == nil {
            errors.add("payment", "お支払い方法を選んでください。")
        } else if payment == .online && !context.onlinePaymentAvailable {
            errors.add("payment", "オンラインでのお支払いは現在ご利用いただけません。窓口でのお支払いを選んでください。")
        } else if payment == .counter && delivery == .mail {
            errors.add("payment", "郵送で受け取るときは、オンラインでお支払いください。")
        }
        var letter: LetterOfAttorney?
        if requester == .agent {
            switch letterProblem(input.letterOfAttorney) {
            case .failure(let message): errors.add("letter_of_attorney", message)
            case .success(let accepted): letter = accepted
            }
        }
        guard errors.isEmpty, let requester, let delivery, let payment else { return (nil, errors) }
        return (
            NewCertificateRequest(
                typeCode: type.code, copies: copies, requester: requester, options: options,
                purpose: purpose.isEmpty ? nil : purpose, delivery: delivery, pickupDate: pickupDate,
                mailingAddress: mailingAddress, payment: payment, feeYen: type.feeYen * copies,
                letterOfAttorney: letter),
            errors
        )
    }

    static func pickupProblem(_ text: String, context: Context) -> String? {
        guard !text.isEmpty else { return "受け取る日を選んでください。" }
        guard let date = CalendarDate.parse(text) else { return "受け取る日を「2026-04-01」の形で入力してください。" }
        let today = CalendarDate.today(at: context.now)
        let last = CalendarDate.adding(days: pickupWindowDays, to: today)
        if date < today { return "受け取る日に過ぎた日は選べません。" }
        if date > last { return "受け取る日は\(pickupWindowDays)日先までの開庁日を選んでください。" }
        if let reason = context.calendar.closedReason(date) {
            return "\(CalendarDate.japanese(date))は閉庁日です（\(reason)）。開庁日を選んでください。"
        }
        return nil
    }

    enum LetterCheck {
        case success(LetterOfAttorney)
        case failure(String)
    }

    /// The 委任状 is checked by its bytes, as Applications checks attachments: the name and the type the browser
    /// claims are the sender's to choose.
    static func letterProblem(_ upload: (filename: String, declaredType: String?, data: Data)?) -> LetterCheck {
        guard let upload, !upload.data.isEmpty else { return .failure("代理人が請求するときは委任状を添付してください。") }
        if upload.data.count > maximumLetterBytes { return .failure("委任状のファイルが大きすぎます。5 MBまでにしてください。") }
        guard let sniffed = sniff(upload.data) else { return .failure("委任状は JPEG・PNG の画像か PDF を添付してください。") }
        return .success(LetterOfAttorney(filename: sanitize(upload.filename), contentType: sniffed, data: upload.data))
    }

    /// JPEG, PNG and PDF by their first bytes (the same magic numbers as `Applications.AttachmentRules`).
    public static func sniff(_ data: Data) -> String? {
        let prefix = [UInt8](data.prefix(8))
        if prefix.starts(with: [0xFF, 0xD8, 0xFF]) { return "image/jpeg" }
        if prefix.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return "image/png" }
        if prefix.starts(with: Array("%PDF-".utf8)) { return "application/pdf" }
        return nil
    }

    static func sanitize(_ name: String) -> String {
        let last = name.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
        let cleaned = String(
            String.UnicodeScalarView(
                last.unicodeScalars.filter { $0.properties.generalCategory != .control && $0 != "\"" }))
        let trimmed = String(cleaned.suffix(100))
        return trimmed.isEmpty ? "委任状" : trimmed
    }

    /// Full-width digits and spaces do not make a different address.
    static func normalizeAddress(_ text: String) -> String {
        CharacterWidth.halfwidth(text).filter { !$0.isWhitespace }
    }
}
