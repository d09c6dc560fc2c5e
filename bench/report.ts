import type { Summary } from "./statistics.js";

/** One line of the table. `met` is null when a comparison was skipped or has no target. */
export interface Row {
  id: string;
  measure: string;
  result: string;
  reference: string;
  ratio: string;
  target: string;
  met: boolean | null;
  note?: string;
  /** The numbers behind the line, for the JSON. */
  data: Record<string, Summary | number | string | boolean | null>;
}

/** A row that could not be measured here, saying why (quick mode, a host not installed…). */
export const skippedRow = (id: string, measure: string, target: string, why: string): Row => ({
  id,
  measure,
  result: "–",
  reference: why,
  ratio: "–",
  target,
  met: null,
  data: { skipped: true, reason: why },
});

export interface Report {
  generated_at: string;
  node: string;
  platform: string;
  cpus: number;
  /** 1-minute load average when the run started and ended: other work on the machine shows here. */
  load: { start: number; end: number };
  options: Record<string, unknown>;
  rows: Row[];
  notes: string[];
}

const COLUMNS: { key: keyof Row; title: string }[] = [
  { key: "measure", title: "measure" },
  { key: "result", title: "task-manager" },
  { key: "reference", title: "reference" },
  { key: "ratio", title: "ratio" },
  { key: "target", title: "target" },
  { key: "met", title: "met" },
];

function cell(row: Row, key: keyof Row): string {
  if (key === "met") return row.met === null ? "–" : row.met ? "yes" : "NO";
  const value = row[key];
  return typeof value === "string" ? value : "";
}

/** A plain-text table (no colours: it ends up in logs and closing notes). */
export function renderTable(report: Report): string {
  const widths = COLUMNS.map((c) =>
    Math.max(c.title.length, ...report.rows.map((r) => cell(r, c.key).length)),
  );
  const line = (cells: string[]): string =>
    `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  const rule = `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`;
  const body = report.rows.map((r) => line(COLUMNS.map((c) => cell(r, c.key))));
  const notes = [
    ...report.rows.filter((r) => r.note).map((r) => `${r.id}: ${r.note}`),
    ...report.notes,
  ];
  return [
    `task-manager bench — node ${report.node}, ${report.platform}, ${report.cpus} cpus, load ${report.load.start}→${report.load.end}, ${report.generated_at}`,
    line(COLUMNS.map((c) => c.title)),
    rule,
    ...body,
    ...(notes.length > 0 ? ["", ...notes.map((n) => `- ${n}`)] : []),
  ].join("\n");
}
