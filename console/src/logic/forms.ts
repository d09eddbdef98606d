// The forms page (问卷, issue #15): which files may be sent, the query strings of the import, tabulation and
// export, the grouping of the list by form, and the problem rows as the page's table shows them. Pure and
// unit-tested. Every figure (counts, frequencies, shares, means) comes computed from the server (the Rust
// tabulation of `linkage-server form report`); nothing here counts answers.

/** Largest workbook the server takes (`console::forms::MAX_FORM_BYTES`). */
export const MAX_FORM_BYTES = 8 * 1024 * 1024
export const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'

/** Whether a chosen file can be sent as an XLSForm, or the zh-CN reason it cannot. */
export function formFileCheck(name: string, size: number): { type: string } | { refusal: string } {
  if (size === 0) return { refusal: '文件是空的，请重新选择' }
  if (size > MAX_FORM_BYTES) return { refusal: '文件过大：最大 8 MB' }
  const lower = name.toLowerCase()
  if (lower.endsWith('.xlsx')) return { type: XLSX_TYPE }
  if (lower.endsWith('.xls')) return { refusal: '不支持旧版 .xls：请在 Excel 中另存为 .xlsx 后再导入' }
  return { refusal: '问卷须是 XLSForm 格式的 .xlsx 文件（含 survey、choices、settings 表）' }
}

/** The query string of an import: target node (none: the county), roles (none: every role), check only. */
export function importQuery(node: string | null, roles: string[], dryRun: boolean): string {
  const q = new URLSearchParams()
  if (node) q.set('node', node)
  if (roles.length) q.set('roles', roles.join(','))
  if (dryRun) q.set('dry_run', 'true')
  const s = q.toString()
  return s ? '?' + s : ''
}

/** The query of the tabulation and the export (version and node omitted when they are the defaults). */
export function reportQuery(version: number | null, node: string | null): Record<string, string | number> {
  const q: Record<string, string | number> = {}
  if (version) q.version = version
  if (node) q.node = node
  return q
}

/** The export's download address for a form, version and node. */
export function exportUrl(formId: string, version: number | null, node: string | null): string {
  const q = new URLSearchParams(Object.entries(reportQuery(version, node)).map(([k, v]) => [k, String(v)]))
  const s = q.toString()
  return `/v1/console/forms/${encodeURIComponent(formId)}/export${s ? '?' + s : ''}`
}

export interface VersionLike {
  form_id: string
  version: number
  title: string
}

/** The list's rows grouped by form, in the server's order (newest version first within a form). */
export function groupByForm<T extends VersionLike>(rows: T[]): Array<{ formId: string; title: string; versions: T[] }> {
  const groups: Array<{ formId: string; title: string; versions: T[] }> = []
  for (const r of rows) {
    const last = groups[groups.length - 1]
    if (last && last.formId === r.form_id) last.versions.push(r)
    else groups.push({ formId: r.form_id, title: r.title, versions: [r] })
  }
  return groups
}

export interface ProblemLike {
  sheet: string
  row: number
  reason: string
}

/** A problem as a table row: the sheet, the row ("整表" for the sheet as a whole), the reason. */
export function problemRow(p: ProblemLike): { sheet: string; row: string; reason: string } {
  return { sheet: p.sheet, row: p.row > 0 ? `第 ${p.row} 行` : '整表', reason: p.reason }
}

/** A figure as shown: "—" when there is none, else the number as the server rounded it. */
export function figure(x: number | null | undefined): string {
  return x === null || x === undefined ? '—' : String(x)
}
