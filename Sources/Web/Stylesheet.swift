/// The one stylesheet. Large type (≥ 18 px), high contrast and a visible focus ring: many residents are
/// elderly and on phones. Served under a content-hashed URL so it can be cached for a year.
public enum Stylesheet {
    public static let css = """
        :root { --ink: #1a1a1a; --paper: #ffffff; --accent: #0b5394; --accent-ink: #ffffff;
                --error: #b00020; --muted: #4a4a4a; --line: #767676; --soft: #f3f6fa; }
        * { box-sizing: border-box; }
        html { font-size: 112.5%; }
        body { margin: 0; color: var(--ink); background: var(--paper); line-height: 1.7;
               font-family: "Hiragino Sans", "Noto Sans JP", "Yu Gothic", "Meiryo", sans-serif; }
        header.site { background: var(--accent); color: var(--accent-ink); padding: 0.75rem 1rem; }
        header.site a { color: var(--accent-ink); text-decoration: none; font-weight: bold; font-size: 1.2rem; }
        main { max-width: 46rem; margin: 0 auto; padding: 1rem; }
        footer.site { max-width: 46rem; margin: 2rem auto; padding: 1rem; color: var(--muted);
                      border-top: 1px solid var(--line); font-size: 0.9rem; }
        h1 { font-size: 1.6rem; line-height: 1.3; }
        h2 { font-size: 1.3rem; }
        a { color: var(--accent); }
        a:focus, button:focus, input:focus, select:focus, textarea:focus, summary:focus {
            outline: 3px solid #ffbf47; outline-offset: 2px; }
        label { display: block; font-weight: bold; margin-top: 1rem; }
        .hint { color: var(--muted); font-size: 0.95rem; margin: 0.2rem 0; }
        input, select, textarea { font: inherit; width: 100%; padding: 0.6rem; border: 2px solid var(--ink);
                                  border-radius: 4px; background: var(--paper); color: var(--ink); }
        input[type=checkbox], input[type=radio] { width: 1.5rem; height: 1.5rem; vertical-align: middle; }
        button, .button { font: inherit; display: inline-block; min-height: 3rem; padding: 0.6rem 1.4rem;
                          margin-top: 1.2rem; border: 0; border-radius: 4px; background: var(--accent);
                          color: var(--accent-ink); cursor: pointer; text-decoration: none; }
        button.secondary { background: var(--soft); color: var(--accent); border: 2px solid var(--accent); }
        .error-summary { border: 4px solid var(--error); padding: 1rem; margin: 1rem 0; }
        .error-summary h2 { margin-top: 0; color: var(--error); }
        .field-error { color: var(--error); font-weight: bold; margin: 0.2rem 0; }
        .field.has-error input, .field.has-error select, .field.has-error textarea { border-color: var(--error); }
        .notice { background: var(--soft); border-left: 6px solid var(--accent); padding: 0.8rem 1rem; }
        table { border-collapse: collapse; width: 100%; }
        th, td { text-align: left; padding: 0.5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
        .reference { font-family: ui-monospace, monospace; font-size: 1.4rem; letter-spacing: 0.1em; }
        @media print { header.site, footer.site, button, nav { display: none; } }
        """

    public static let hash: String = {
        // FNV-1a: a cache-busting fingerprint, not a security property.
        var value: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in css.utf8 {
            value ^= UInt64(byte)
            value = value &* 0x0000_0100_0000_01b3
        }
        return String(value, radix: 16)
    }()

    public static let path = "/assets/madoguchi-\(hash).css"
}
