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
                      border-top: 1px solid var(--line); }
        footer.site p { margin: 0.3rem 0; }
        .phone { white-space: nowrap; font-weight: bold; }
        h1 { font-size: 1.6rem; line-height: 1.3; }
        h2 { font-size: 1.3rem; }
        a { color: var(--accent); }
        a:focus, button:focus, input:focus, select:focus, textarea:focus, summary:focus {
            outline: 3px solid #ffbf47; outline-offset: 2px; }
        label { display: block; font-weight: bold; margin-top: 1rem; }
        /* Hints and the footer stay at the 18 px body size: they say what to type and whom to call. */
        .hint { color: var(--muted); margin: 0.2rem 0; }
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
        /* Wide tables (the audit log) scroll inside their focusable box, so a phone never zooms the page out. */
        .table-scroll { max-width: 100%; overflow-x: auto; margin: 1rem 0; }
        .table-scroll:focus { outline: 3px solid #ffbf47; outline-offset: 2px; }
        /* An error-summary link lands on the input; keep its label, hint and message on screen above it. */
        input, select, textarea, fieldset { scroll-margin-top: 9rem; }
        .one-time-code, .reference { white-space: nowrap; }
        th, td { text-align: left; padding: 0.5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
        .reference { font-family: ui-monospace, monospace; font-size: 1.4rem; letter-spacing: 0.1em; }
        .visually-hidden { position: absolute; width: 1px; height: 1px; margin: -1px; padding: 0; overflow: hidden;
                           clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
        .optional { font-weight: normal; color: var(--muted); }
        .required { font-weight: normal; color: var(--error); }
        .reference-number { white-space: nowrap; }
        .date { color: var(--ink); }
        .field { margin-bottom: 0.4rem; }
        fieldset { border: 0; padding: 0; margin: 1rem 0 0; }
        legend { font-weight: bold; padding: 0; }
        .radio { display: flex; align-items: center; gap: 0.6rem; margin: 0.4rem 0; }
        .radio label { display: inline; font-weight: normal; margin: 0; }
        .inline-form { display: inline; }
        .inline-form button { margin-top: 0; }
        nav.account { display: flex; flex-wrap: wrap; gap: 0.5rem 1rem; align-items: center;
                      justify-content: space-between; border-bottom: 1px solid var(--line); padding-bottom: 0.5rem; }
        nav.account ul { list-style: none; display: flex; flex-wrap: wrap; gap: 0.5rem 1.2rem; margin: 0; padding: 0; }
        .tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(14rem, 1fr)); gap: 1rem; padding: 0;
                 list-style: none; }
        .tile { border: 2px solid var(--line); border-radius: 4px; padding: 1rem; }
        .tile h2 { margin-top: 0; }
        /* A long term (転出先住所（納付書の送付先）) as max-content pushed /staff/applications/N to 439 px on a
           390 px phone: terms take at most 45% and wrap, descriptions wrap anywhere. */
        dl.summary { display: grid; grid-template-columns: fit-content(45%) minmax(0, 1fr); gap: 0.3rem 1rem; }
        dl.summary dd { overflow-wrap: anywhere; }
        dl.summary dt { font-weight: bold; }
        dl.summary dd { margin: 0; }
        .success { background: #e8f5e9; border-left: 6px solid #1b5e20; padding: 0.8rem 1rem; }
        .one-time-code { font-family: ui-monospace, monospace; font-size: 2.4rem; letter-spacing: 0.2em; }
        .muted { color: var(--muted); }
        /* Staff work at desks: the console uses the screen, filters sit in one row. */
        @media (min-width: 60rem) {
            main.wide { max-width: 90rem; }
            main.wide + footer.site { max-width: 90rem; }
            form.filters { display: flex; flex-wrap: wrap; gap: 0 1rem; align-items: flex-end; }
            form.filters .field { flex: 1 1 10rem; margin-bottom: 0; }
            form.filters .radio { margin-bottom: 0.8rem; }
            form.filters button { margin-bottom: 0.2rem; }
        }
        /* A QR code (tickets, flyers) stays black on white in dark mode, forced colours and print: readers need it. */
        svg.qr-code { forced-color-adjust: none; print-color-adjust: exact; -webkit-print-color-adjust: exact; }
        svg.qr-code .qr-light { fill: #fff; }
        svg.qr-code .qr-dark { fill: #000; }
        /* The KPI dashboard and its printable 進行管理表 (Sources/KPI). The judgement is a word, never a colour alone. */
        .kpi-cards { list-style: none; padding: 0; display: grid; gap: 1rem;
                     grid-template-columns: repeat(auto-fit, minmax(min(100%, 24rem), 1fr)); }
        .kpi-card { border: 2px solid var(--line); border-radius: 4px; padding: 1rem; min-width: 0; }
        .kpi-card h2 { margin-top: 0; font-size: 1.15rem; }
        .kpi-value { font-size: 1.6rem; font-weight: bold; margin: 0.3rem 0; }
        .kpi-judgement { font-size: 1rem; padding: 0.1rem 0.6rem; border-radius: 4px; border: 2px solid var(--ink);
                         white-space: nowrap; vertical-align: middle; }
        .kpi-on_track { background: #e8f5e9; color: #1b5e20; border-color: #1b5e20; }
        .kpi-off_track { background: #fdecea; color: var(--error); border-color: var(--error); }
        .kpi-chart { margin: 1rem 0; }
        .kpi-chart svg { width: 100%; height: auto; max-width: 40rem; display: block; }
        .kpi-chart .bar { fill: var(--accent); }
        .kpi-chart .axis { stroke: var(--ink); stroke-width: 1; }
        .kpi-chart text { fill: var(--ink); font-size: 13px; text-anchor: middle; }
        .kpi-chart text.scale { text-anchor: end; }
        .kpi-report table th, .kpi-report table td { border: 1px solid var(--line); font-size: 0.9rem; }
        .kpi-report-notes { font-size: 0.85rem; }
        /* Named pages, never a global @page: each printout keeps its own margins (a global rule per printout
           meant the last one in this file set every printout's margins). The body takes its printout's page
           too: with the name on the printout's root alone, Chromium printed an empty unnamed page before it. */
        @media print {
            @page kpi-report { size: A4 portrait; margin: 12mm; }
            .kpi-report, body:has(.kpi-report) { page: kpi-report; }
            html:has(.kpi-report) { font-size: 10pt; }
            main.wide { max-width: none; padding: 0; }
            .kpi-report h1 { font-size: 14pt; margin: 0 0 4pt; }
            .kpi-report .table-scroll { overflow: visible; }
            .kpi-report table { page-break-inside: avoid; }
            .kpi-report table th, .kpi-report table td { padding: 3pt 4pt; font-size: 9pt; }
        }
        /* スマホ教室: very large type for the residents it is for, big touch targets for the tablet at the venue. */
        .large-type { font-size: 1.3rem; }
        .large-type h1 { font-size: 2.2rem; }
        .large-type button { font-size: 1.3rem; padding: 0.9rem 1.4rem; }
        nav.districts { display: flex; flex-wrap: wrap; gap: 0.5rem 1.2rem; margin: 1rem 0; }
        nav.districts a[aria-current] { font-weight: bold; text-decoration: none; }
        .class-list { list-style: none; padding: 0; }
        .class-card { border: 2px solid var(--line); border-radius: 4px; padding: 0.8rem 1rem; margin: 1rem 0; }
        .class-card h3 { margin: 0; }
        .seats { font-weight: bold; }
        .attendance { list-style: none; padding: 0; }
        .attendance-row { display: flex; flex-wrap: wrap; align-items: center; gap: 0.8rem; padding: 0.6rem 0;
            border-bottom: 1px solid var(--line); }
        .attendance-name { flex: 1 1 12rem; font-size: 1.3rem; }
        .attendance-state { min-width: 4rem; font-weight: bold; }
        button.touch { min-height: 3.5rem; min-width: 7rem; font-size: 1.3rem; }
        .attendance-count { font-size: 1.3rem; font-weight: bold; }
        .flyer { font-size: 1.4rem; }
        .flyer h1 { font-size: 2.6rem; }
        .flyer-kicker { font-weight: bold; color: var(--accent); }
        .flyer-qr { display: flex; flex-wrap: wrap; gap: 0.5rem 1.5rem; align-items: center; }
        .flyer-url { overflow-wrap: anywhere; font-size: 1rem; }
        table.roster td, table.roster th { border: 1px solid var(--line); padding: 0.4rem; }
        @media print {
            @page class-flyer { size: A4; margin: 15mm; }
            @page class-roster { size: A4; margin: 15mm; }
            .flyer, body:has(.flyer) { page: class-flyer; }
            .flyer { font-size: 16pt; }
            .class-roster, body:has(.class-roster) { page: class-roster; }
        }
        iframe.lease-heartbeat { width: 100%; height: 5rem; border: 1px solid var(--line); }
        body.frame { margin: 0; padding: 0.4rem 0.8rem; background: var(--soft); }
        body.frame p { margin: 0; }
        /* 日計表 and 領収書: named pages, so each printout keeps its own margins whatever other pages set. */
        .cash-close { page: cash-close; }
        .receipt { page: receipt; max-width: 40rem; }
        .receipt-amount { font-size: 1.6rem; font-weight: bold; border-bottom: 2px solid var(--ink); }
        @page cash-close { size: A4 portrait; margin: 15mm 12mm; }
        @page receipt { size: A4 portrait; margin: 20mm; }
        @media print {
            .cash-close table th, .cash-close table td { font-size: 9pt; padding: 2pt 4pt; }
            .receipt { font-size: 12pt; }
        }
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
