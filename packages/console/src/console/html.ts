/** HTML building blocks: escaping, the page layout, and small inline SVG charts. */

/** Escapes text for HTML content and attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value ?? "")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/** Marks text as already-safe HTML. */
export interface Html {
  readonly html: string;
}

/** Builds HTML from a template, escaping every interpolated value that is not {@link Html}. */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0] ?? "";
  for (let index = 0; index < values.length; index++) {
    out += render(values[index]) + (strings[index + 1] ?? "");
  }
  return { html: out };
}

function render(value: unknown): string {
  if (value === undefined || value === null || value === false) return "";
  if (Array.isArray(value)) return value.map(render).join("");
  if (typeof value === "object" && "html" in (value as Html)) return (value as Html).html;
  return escapeHtml(value);
}

const STYLE = `
:root{--bg:#f6f7f9;--card:#fff;--ink:#1d2330;--muted:#5d6675;--line:#dde1e7;--accent:#2456c7;--ok:#1f8a4c;--warn:#b7791f;--bad:#c53030;--info:#2b6cb0}
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:var(--bg);color:var(--ink)}
header{background:#1d2330;color:#fff;padding:10px 20px;display:flex;gap:24px;align-items:center}
header .brand{font-weight:700;letter-spacing:.02em}header nav a{color:#c9d3e6;text-decoration:none;margin-right:16px}
header nav a.active,header nav a:hover{color:#fff;text-decoration:underline}
main{padding:20px;max-width:1200px;margin:0 auto}h1{font-size:20px;margin:0 0 12px}h2{font-size:16px;margin:20px 0 8px}
.card{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:14px;margin-bottom:16px}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:6px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{font-size:12px;text-transform:uppercase;color:var(--muted);font-weight:600}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600;background:#e6e9ef;color:var(--ink)}
.s-completed,.s-success,.s-closed,.s-accepted,.s-replayed{background:#dcf3e5;color:var(--ok)}
.s-waiting,.s-running,.s-retry,.s-half-open,.s-pending,.s-partial{background:#fdf1dc;color:var(--warn)}
.s-held,.s-failed,.s-failure,.s-open,.s-rejected,.s-overdue,.s-compensated{background:#fbe1e1;color:var(--bad)}
.s-discarded,.s-skipped,.s-received{background:#e6e9ef;color:var(--muted)}
.muted{color:var(--muted)}.mono{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12px}
pre{background:#f0f2f5;border:1px solid var(--line);border-radius:4px;padding:10px;overflow:auto;max-height:420px;font-size:12px}
form.inline{display:inline}button{font:inherit;padding:4px 12px;border-radius:4px;border:1px solid var(--accent);background:var(--accent);color:#fff;cursor:pointer}
button.secondary{background:#fff;color:var(--accent)}button.danger{background:#fff;border-color:var(--bad);color:var(--bad)}
input,select{font:inherit;padding:3px 6px;border:1px solid var(--line);border-radius:4px}
.filters{display:flex;gap:8px;flex-wrap:wrap;align-items:end}.filters label{display:flex;flex-direction:column;font-size:12px;color:var(--muted)}
.flash{padding:8px 12px;border-radius:4px;margin-bottom:12px}.flash.ok{background:#dcf3e5}.flash.bad{background:#fbe1e1}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(560px,1fr));gap:16px}.metric{font-size:22px;font-weight:700}
svg text{font:11px system-ui,sans-serif;fill:var(--muted)}a{color:var(--accent)}
`;

/** One navigation entry. */
export interface NavItem {
  href: string;
  label: string;
  active: boolean;
}

/** The page shell: inline CSS, the navigation, the body. No external asset of any kind. */
export function layout(title: string, nav: readonly NavItem[], body: Html): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)} · distro console</title><style>${STYLE}</style></head>
<body><header><span class="brand">distro console</span><nav>${nav
    .map(
      (item) =>
        `<a href="${escapeHtml(item.href)}"${item.active ? ' class="active" aria-current="page"' : ""}>${escapeHtml(item.label)}</a>`,
    )
    .join("")}</nav></header>
<main>${body.html}</main></body></html>`;
}

/** A status badge. */
export function badge(status: string): Html {
  const css = status.toLowerCase().replace(/[^a-z-]/g, "");
  return html`<span class="badge s-${css}" data-status="${status}">${status}</span>`;
}

/** One bar of a bar chart. */
export interface Bar {
  label: string;
  value: number;
  tone?: "ok" | "warn" | "bad" | "info";
}

const TONE: Record<NonNullable<Bar["tone"]>, string> = {
  ok: "#1f8a4c",
  warn: "#b7791f",
  bad: "#c53030",
  info: "#2b6cb0",
};

/** A horizontal bar chart as inline SVG. */
export function barChart(title: string, bars: readonly Bar[], unit = ""): Html {
  if (bars.length === 0) return html`<p class="muted">No data for ${title}.</p>`;
  const width = 520;
  const labelWidth = 150;
  const rowHeight = 22;
  const height = bars.length * rowHeight + 8;
  const max = Math.max(1, ...bars.map((bar) => bar.value));
  const rows = bars.map((bar, index) => {
    const y = index * rowHeight + 4;
    const length = Math.max(0, ((width - labelWidth - 70) * bar.value) / max);
    return `<text x="0" y="${y + 14}">${escapeHtml(truncate(bar.label, 22))}</text><rect x="${labelWidth}" y="${y + 3}" width="${length.toFixed(1)}" height="14" rx="2" fill="${TONE[bar.tone ?? "info"]}"/><text x="${(labelWidth + length + 6).toFixed(1)}" y="${y + 14}">${escapeHtml(formatNumber(bar.value))}${escapeHtml(unit)}</text>`;
  });
  return {
    html: `<svg role="img" aria-label="${escapeHtml(title)}" viewBox="0 0 ${width} ${height}" width="100%" style="max-width:${width}px" xmlns="http://www.w3.org/2000/svg"><title>${escapeHtml(title)}</title>${rows.join("")}</svg>`,
  };
}

/** A small line chart of recent values as inline SVG. */
export function sparkline(title: string, values: readonly number[], options: { max?: number } = {}): Html {
  const width = 220;
  const height = 40;
  if (values.length < 2) return html`<span class="muted">collecting…</span>`;
  const max = Math.max(options.max ?? 0, ...values, 1e-9);
  const step = width / (values.length - 1);
  const points = values
    .map(
      (value, index) =>
        `${(index * step).toFixed(1)},${(height - 2 - ((height - 4) * value) / max).toFixed(1)}`,
    )
    .join(" ");
  return {
    html: `<svg role="img" aria-label="${escapeHtml(title)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg"><title>${escapeHtml(title)}</title><polyline fill="none" stroke="#2456c7" stroke-width="1.5" points="${points}"/></svg>`,
  };
}

/** One point of a timeline. */
export interface TimelinePoint {
  at: number;
  label: string;
  tone: "ok" | "warn" | "bad" | "info";
}

/**
 * The steps of a transaction in order, as inline SVG: one dot per audit entry (evenly
 * spaced, so steps a millisecond apart stay apart), coloured by outcome, labelled with
 * the step and the time since the first entry.
 */
export function timelineChart(title: string, points: readonly TimelinePoint[]): Html {
  if (points.length === 0) return html`<p class="muted">No audit entries.</p>`;
  const gap = 110;
  const width = Math.max(240, 40 + gap * (points.length - 1));
  const height = 84;
  const first = points[0]!.at;
  const x = (index: number) => 20 + index * gap;
  const dots = points
    .map((point, index) => {
      const cx = x(index).toFixed(1);
      const [step] = point.label.split(" (");
      return `<circle cx="${cx}" cy="22" r="7" fill="${TONE[point.tone]}"><title>${escapeHtml(point.label)}</title></circle><text x="${cx}" y="50" text-anchor="middle">${escapeHtml(truncate(step ?? "", 16))}</text><text x="${cx}" y="66" text-anchor="middle">+${escapeHtml(formatDuration(point.at - first))}</text>`;
    })
    .join("");
  return {
    html: `<div style="overflow-x:auto"><svg role="img" aria-label="${escapeHtml(title)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg"><title>${escapeHtml(title)}</title><line x1="20" y1="22" x2="${width - 20}" y2="22" stroke="#dde1e7" stroke-width="2"/>${dots}</svg></div>`,
  };
}

function truncate(text: string, length: number): string {
  return text.length > length ? `${text.slice(0, length - 1)}…` : text;
}

/** Formats a number for display (at most two decimals). */
export function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}

/** Formats a duration in milliseconds for people: `850 ms`, `12 s`, `3 min`, `2 h`, `4 d`. */
export function formatDuration(milliseconds: number | undefined): string {
  if (milliseconds === undefined || !Number.isFinite(milliseconds)) return "—";
  const value = Math.max(0, milliseconds);
  if (value < 1_000) return `${Math.round(value)} ms`;
  if (value < 60_000) return `${Math.round(value / 1_000)} s`;
  if (value < 3_600_000) return `${Math.round(value / 60_000)} min`;
  if (value < 86_400_000) return `${Math.round(value / 3_600_000)} h`;
  return `${Math.round(value / 86_400_000)} d`;
}

/** Pretty-printed JSON for a `<pre>`. */
export function prettyJson(value: unknown): string {
  try {
    return JSON.stringify(value, null, 2) ?? String(value);
  } catch {
    return String(value);
  }
}
