/// Form widgets every module shares, so each form looks and behaves the same way:
/// - every `<label for>` is tied to its input's id;
/// - hint text and the field's error sit beside the field and are announced through `aria-describedby`;
/// - an error summary at the top of the page links to each field (`href="#id"`);
/// - state-changing forms carry the CSRF token as a hidden `csrf_token` input.
/// Everything goes through the escaping builder; nothing here concatenates markup.

/// One problem with one field, in Japanese, worded for the person who typed it.
public struct FieldError: Sendable, Equatable {
    /// The field's name, which is also its input id.
    public let field: String
    public let message: String

    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }
}

/// The problems found in one submitted form, in the order of the form's fields.
public struct FormErrors: Sendable, Equatable {
    public private(set) var all: [FieldError] = []

    public init() {}

    public init(_ errors: [FieldError]) {
        for error in errors { add(error.field, error.message) }
    }

    /// Records a problem. Only the first problem per field is kept: one clear message beats a list.
    public mutating func add(_ field: String, _ message: String) {
        guard self[field] == nil else { return }
        all.append(FieldError(field: field, message: message))
    }

    public subscript(field: String) -> String? { all.first { $0.field == field }?.message }

    public var isEmpty: Bool { all.isEmpty }
}

/// One choice of a select box or radio group.
public struct FormOption: Sendable, Equatable {
    public let value: String
    public let label: String

    public init(_ value: String, _ label: String) {
        self.value = value
        self.label = label
    }
}

public enum Form {
    /// The name of the hidden input that carries the synchronizer token.
    public static let csrfFieldName = "csrf_token"

    /// `<form method="post">` with the CSRF token as its first input. `novalidate` keeps the browser's own
    /// pop-ups out of the way, so every error is shown the same way: beside the field and in the summary.
    public static func post(action: String, csrfToken: String, @NodeBuilder fields: () -> [Node]) -> Node {
        el("form", Attribute("method", "post"), Attribute("action", action), .flag("novalidate")) {
            csrf(csrfToken)
            fields()
        }
    }

    /// A one-button form, e.g. ログアウト or 無効にする.
    public static func button(action: String, csrfToken: String, label: String, secondary: Bool = false) -> Node {
        el("form", Attribute("method", "post"), Attribute("action", action), .class("inline-form")) {
            csrf(csrfToken)
            submit(label, secondary: secondary)
        }
    }

    public static func csrf(_ token: String) -> Node {
        hidden(name: csrfFieldName, value: token)
    }

    public static func hidden(name: String, value: String) -> Node {
        void("input", Attribute("type", "hidden"), Attribute("name", name), Attribute("value", value))
    }

    public static func submit(_ label: String, secondary: Bool = false) -> Node {
        el("button", attributes: [Attribute("type", "submit")] + (secondary ? [.class("secondary")] : [])) { label }
    }

    /// "入力内容に問題があります" with one link per problem, pointing at the field. Renders nothing when
    /// there are no errors. `role="alert"` makes screen readers announce it when the page loads.
    public static func errorSummary(_ errors: FormErrors) -> Node {
        guard !errors.isEmpty else { return .fragment([]) }
        return el(
            "div", .class("error-summary"), Attribute("role", "alert"),
            Attribute("aria-labelledby", "error-summary-title")
        ) {
            el("h2", .id("error-summary-title")) { "入力内容に問題があります" }
            el("ul") {
                for error in errors.all {
                    el("li") { el("a", .href("#" + error.field)) { error.message } }
                }
            }
        }
    }

    /// A one-line text input. `type` may be `text`, `email`, `tel` or `search`. `id` defaults to the name; a
    /// page with several forms of the same fields (one per template) gives each its own.
    public static func text(
        name: String, id: String? = nil, label: String, value: String = "", type: String = "text",
        hint: String? = nil, error: String? = nil, optional: Bool = false, autocomplete: String? = nil,
        inputMode: String? = nil
    ) -> Node {
        let id = id ?? name
        var attributes = [
            Attribute("type", type), .id(id), Attribute("name", name), Attribute("value", value),
        ]
        if let autocomplete { attributes.append(Attribute("autocomplete", autocomplete)) }
        if let inputMode { attributes.append(Attribute("inputmode", inputMode)) }
        return field(name: id, label: label, hint: hint, error: error, optional: optional) { described in
            void("input", attributes: attributes + described)
        }
    }

    /// A password input. It never echoes a value back: a re-rendered form asks for the password again.
    public static func password(
        name: String, label: String, hint: String? = nil, error: String? = nil,
        autocomplete: String = "current-password"
    ) -> Node {
        field(name: name, label: label, hint: hint, error: error, optional: false) { described in
            void(
                "input",
                attributes: [
                    Attribute("type", "password"), .id(name), Attribute("name", name),
                    Attribute("autocomplete", autocomplete),
                ] + described)
        }
    }

    /// A date input (`YYYY-MM-DD`); browsers without a date picker show a text box, so the hint says the format.
    public static func date(
        name: String, label: String, value: String = "", hint: String? = nil, error: String? = nil,
        optional: Bool = false, autocomplete: String? = nil
    ) -> Node {
        var attributes = [Attribute("type", "date"), .id(name), Attribute("name", name), Attribute("value", value)]
        if let autocomplete { attributes.append(Attribute("autocomplete", autocomplete)) }
        return field(name: name, label: label, hint: hint, error: error, optional: optional) { described in
            void("input", attributes: attributes + described)
        }
    }

    /// A select without a placeholder always has a value, so it carries no 必須/任意 mark.
    public static func select(
        name: String, id: String? = nil, label: String, options: [FormOption], selected: String? = nil,
        hint: String? = nil, error: String? = nil, optional: Bool = false, placeholder: String? = "選択してください"
    ) -> Node {
        let id = id ?? name
        return field(
            name: id, label: label, hint: hint, error: error, optional: optional, marked: optional || placeholder != nil
        ) { described in
            el("select", attributes: [.id(id), Attribute("name", name)] + described) {
                if let placeholder {
                    el("option", Attribute("value", "")) { placeholder }
                }
                for option in options {
                    el(
                        "option",
                        attributes: [Attribute("value", option.value)]
                            + (option.value == selected ? [.flag("selected")] : [])
                    ) { option.label }
                }
            }
        }
    }

    /// Radio buttons in a `fieldset` whose `legend` is the question. Each radio has its own label; the
    /// first radio's id is the field name, so the error summary's link lands on the group. The legend is marked
    /// 必須 or 任意 like a label; `marked: false` for a group that always arrives with a choice made.
    public static func radios(
        name: String, legend: String, options: [FormOption], selected: String? = nil, hint: String? = nil,
        error: String? = nil, optional: Bool = false, marked: Bool = true
    ) -> Node {
        let describedBy = describedByIDs(name: name, hint: hint, error: error)
        return el("div", .class(error == nil ? "field" : "field has-error")) {
            el(
                "fieldset",
                attributes: describedBy.map { [Attribute("aria-describedby", $0)] } ?? []
            ) {
                el("legend") {
                    legend
                    if marked { requirementMark(optional: optional) }
                }
                if let hint { el("p", .class("hint"), .id(name + "-hint")) { hint } }
                if let error { errorMessage(name: name, error) }
                for (index, option) in options.enumerated() {
                    let id = index == 0 ? name : "\(name)-\(index + 1)"
                    el("div", .class("radio")) {
                        void(
                            "input",
                            attributes: [
                                Attribute("type", "radio"), .id(id), Attribute("name", name),
                                Attribute("value", option.value),
                            ] + (option.value == selected ? [.flag("checked")] : []))
                        el("label", Attribute("for", id)) { option.label }
                    }
                }
            }
        }
    }

    // MARK: Building blocks

    /// The wrapper every single-input field shares: label, hint, error, then the control. `control` gets the
    /// `aria-describedby` / `aria-invalid` attributes to put on the input. Public so modules with controls of
    /// their own (file inputs, number fields) keep the same frame.
    public static func field(
        name: String, label: String, hint: String?, error: String?, optional: Bool, marked: Bool = true,
        control: ([Attribute]) -> Node
    ) -> Node {
        var described: [Attribute] = []
        if let ids = describedByIDs(name: name, hint: hint, error: error) {
            described.append(Attribute("aria-describedby", ids))
        }
        if error != nil { described.append(Attribute("aria-invalid", "true")) }
        return el("div", .class(error == nil ? "field" : "field has-error")) {
            el("label", Attribute("for", name)) {
                label
                if marked { requirementMark(optional: optional) }
            }
            if let hint { el("p", .class("hint"), .id(name + "-hint")) { hint } }
            if let error { errorMessage(name: name, error) }
            control(described)
        }
    }

    /// 「（必須）」 or 「（任意）」 after a label or legend. Only 任意 used to be marked, and residents could not
    /// tell a required field from one the page had simply not explained.
    public static func requirementMark(optional: Bool) -> Node {
        optional
            ? el("span", .class("optional")) { "（任意）" }
            : el("span", .class("required")) { "（必須）" }
    }

    public static func errorMessage(name: String, _ message: String) -> Node {
        el("p", .class("field-error"), .id(name + "-error")) {
            el("span", .class("visually-hidden")) { "エラー：" }
            message
        }
    }

    static func describedByIDs(name: String, hint: String?, error: String?) -> String? {
        let ids = (hint == nil ? [] : [name + "-hint"]) + (error == nil ? [] : [name + "-error"])
        return ids.isEmpty ? nil : ids.joined(separator: " ")
    }
}
