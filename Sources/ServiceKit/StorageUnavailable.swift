import HTTP
import Store

/// A full disk answers every write with this 503 instead of the generic 500: the resident learns that the
/// town could not save what they sent (so they try again later rather than assume it arrived), and
/// `Retry-After` tells API clients when. Rendered as a Japanese page, or as JSON under `/api/`.
extension StorageUnavailableError: HTTPResponseError {
    public var status: Int { 503 }
    public var code: String { "storage_unavailable" }
    public var title: String? { "ただいま保存できません" }
    public var message: String {
        "ただいまシステムの保存領域が不足しているため、送信された内容を保存できませんでした（受け付けられていません）。"
            + "お手数ですが、しばらくしてからもう一度お試しください。"
    }
    public var headers: [(String, String)] { [("Retry-After", "60")] }
}
