import Foundation
import HTTP
import Web

/// The frame of resident and staff pages: the shared `Page` plus a navigation bar that knows who is signed
/// in. Modules use these so every page offers the same way home and out.
public enum IdentityPages {
    public static var residentSiteName: String { Page.residentSiteName }
    public static var staffSiteName: String { Page.staffSiteName }

    /// A resident-side page. With errors, the title starts with "エラー：" so screen-reader users hear it first.
    public static func residentPage(
        title: String, resident: AuthenticatedResident?, errors: FormErrors = FormErrors(),
        @NodeBuilder body: () -> [Node]
    ) -> Page {
        let content = body()
        return Page(title: errors.isEmpty ? title : "エラー：" + title, siteName: residentSiteName, homePath: "/") {
            residentNavigation(resident)
            content
        }
    }

    public static func staffPage(
        title: String, staff: AuthenticatedStaff?, errors: FormErrors = FormErrors(), @NodeBuilder body: () -> [Node]
    ) -> Page {
        let content = body()
        var page = Page(title: errors.isEmpty ? title : "エラー：" + title, siteName: staffSiteName, homePath: "/staff/") {
            staffNavigation(staff)
            content
        }
        page.wide = true
        return page
    }

    static func residentNavigation(_ resident: AuthenticatedResident?) -> Node {
        el("nav", .class("account"), Attribute("aria-label", "アカウント")) {
            if let resident {
                el("span") { "\(resident.fullName) さん" }
                el("ul") {
                    el("li") { el("a", .href("/mypage")) { "マイページ" } }
                    el("li") { el("a", .href("/profile")) { "登録内容の変更" } }
                    el("li") {
                        Form.button(action: "/logout", csrfToken: resident.csrfToken, label: "ログアウト", secondary: true)
                    }
                }
            } else {
                el("ul") {
                    el("li") { el("a", .href("/login")) { "ログイン" } }
                    el("li") { el("a", .href("/register")) { "新規登録" } }
                }
            }
        }
    }

    static func staffNavigation(_ staff: AuthenticatedStaff?) -> Node {
        el("nav", .class("account"), Attribute("aria-label", "職員メニュー")) {
            if let staff {
                el("span") { "\(staff.displayName)（\(staff.department.rawValue)・\(staff.role.label)）" }
                el("ul") {
                    el("li") { el("a", .href("/staff/")) { "ダッシュボード" } }
                    el("li") { el("a", .href("/staff/residents")) { "住民検索" } }
                    if staff.role >= .supervisor { el("li") { el("a", .href("/staff/audit")) { "監査ログ" } } }
                    if staff.role >= .admin { el("li") { el("a", .href("/staff/admin/staff")) { "職員管理" } } }
                    el("li") {
                        Form.button(
                            action: "/staff/logout", csrfToken: staff.csrfToken, label: "ログアウト", secondary: true)
                    }
                }
            } else {
                el("span") { "職員専用ページです" }
            }
        }
    }

    /// A green "done" box, e.g. after saving.
    public static func success(_ message: String) -> Node {
        el("p", .class("success"), Attribute("role", "status")) { message }
    }

    /// A blue notice box.
    public static func notice(_ message: String) -> Node {
        el("p", .class("notice")) { message }
    }

    /// The error summary for a rejection that belongs to no single field (wrong login), linked to `field`.
    public static func formErrors(_ message: String, field: String) -> FormErrors {
        var errors = FormErrors()
        errors.add(field, message)
        return errors
    }
}
