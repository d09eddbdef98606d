// The directives pages (指令下达, issue #14 point 6): the list's route filters turned into the query of
// GET /v1/console/directives, the compose form turned into its body, a review's body, and the words and
// figures shown. Pure, unit-tested. Every rule (who may 催办 or review, which kind needs a due time, the
// limits) comes from the server's answers (`may_remind`, `may_review`, `due_required`, `*_max`).

/** Filters of the directives page (`/directives`), all optional. */
export interface DirectiveFilters {
  /** A node in the caller's scope: directives reaching its area, coverage counted over it. */
  node?: string
  /** Issued by the caller's node (`issued`) or by another (`received`). */
  side?: 'issued' | 'received'
  /** Only those with completion reports waiting for the caller's review (待我审核). */
  waiting?: boolean
}

/** The query of `GET /v1/console/directives`. */
export interface DirectiveListQuery {
  node?: string
  side?: 'issued' | 'received'
  waiting?: boolean
  page: number
  page_size: number
}

export const PAGE_SIZE = 20

/** Reads the page's filters from a route query (unknown values ignored). */
export function parseDirectiveFilters(query: Record<string, unknown>): DirectiveFilters {
  const s = (k: string) => (typeof query[k] === 'string' && query[k] !== '' ? (query[k] as string) : undefined)
  const f: DirectiveFilters = {}
  if (s('node')) f.node = s('node')
  const side = s('side')
  if (side === 'issued' || side === 'received') f.side = side
  if (query.waiting === '1' || query.waiting === 'true') f.waiting = true
  return f
}

/** The route query for these filters (only those set). */
export function directiveFiltersQuery(f: DirectiveFilters): Record<string, string> {
  const q: Record<string, string> = {}
  if (f.node) q.node = f.node
  if (f.side) q.side = f.side
  if (f.waiting) q.waiting = '1'
  return q
}

/** The API query for the filters and a page (from 1). */
export function directiveListQuery(f: DirectiveFilters, page: number): DirectiveListQuery {
  const out: DirectiveListQuery = { page: Math.max(1, Math.floor(page) || 1), page_size: PAGE_SIZE }
  if (f.node) out.node = f.node
  if (f.side) out.side = f.side
  if (f.waiting) out.waiting = true
  return out
}

/** "签收 acked/total（percent%）"-style figure: `acked/total`, with the server's percent rounded when known. */
export function coverageText(acked: number, total: number, percent: number | null | undefined): string {
  if (total === 0) return '—'
  return percent == null ? `${acked}/${total}` : `${acked}/${total}（${Math.round(percent)}%）`
}

/** The progress bar's value (0–100) for the server's percent; 0 when none is owed. */
export function progressValue(percent: number | null | undefined): number {
  if (percent == null || !Number.isFinite(percent)) return 0
  return Math.min(100, Math.max(0, Math.round(percent * 10) / 10))
}

/** A time as the console shows it (China time, 24 h), '' when absent. */
export function timeText(ms: number | null | undefined): string {
  return ms ? new Date(ms).toLocaleString('zh-CN', { hour12: false, timeZone: 'Asia/Shanghai' }) : ''
}

/** The URL a stored photo is shown from (scope-checked by the server). */
export function photoUrl(hash: string): string {
  return `/v1/console/photos/${hash}`
}

/** What the compose page collected. */
export interface ComposeFormState {
  kind: 'notice' | 'alert' | 'task'
  title: string
  body: string
  /** The due time picked (a Date from the picker, or its ms), or null. */
  due: Date | number | null
  target: string
  photos: string[]
}

/** The body of `POST /v1/console/directives` (the server checks every field and answers in zh-CN). */
export function composeBody(form: ComposeFormState, opId: string): {
  op_id: string
  kind: ComposeFormState['kind']
  title: string
  body: string
  due_at_ms: number | null
  target_node_id: string
  photos: string[]
} {
  const due = form.due == null ? null : typeof form.due === 'number' ? form.due : form.due.getTime()
  return {
    op_id: opId,
    kind: form.kind,
    title: form.title.trim(),
    body: form.body.trim(),
    due_at_ms: due != null && Number.isFinite(due) ? due : null,
    target_node_id: form.target,
    photos: [...form.photos],
  }
}

/** The body of a review (通过 / 退回 with its reason). */
export function reviewBody(opId: string, nodeId: string, accepted: boolean, reason: string) {
  return { op_id: opId, node_id: nodeId, accepted, reason: accepted ? '' : reason.trim() }
}

/** The zh-CN part of an action answer's message, and whether it is done (applied now or before). */
export function answerOutcome(answer: { outcome: string; message: string }): { done: boolean; message: string } {
  const i = answer.message.indexOf(' / ')
  const message = (i >= 0 ? answer.message.slice(0, i) : answer.message).trim()
  return { done: answer.outcome === 'applied' || answer.outcome === 'duplicate', message }
}

/** The largest photo the server takes, and the refusal of a file before sending it. */
export function photoRefusal(file: { name: string; type: string; size: number }, maxBytes: number): string | null {
  const jpeg = file.type === 'image/jpeg' || /\.jpe?g$/i.test(file.name)
  if (!jpeg) return '请选择 JPG 照片'
  if (file.size > maxBytes) return `照片过大：每张最大 ${Math.floor(maxBytes / 1024 / 1024)} MB`
  return null
}

/** A node of the coverage tree as the tree shows it. */
export interface CoverageNodeLike {
  name: string
  level_label: string
  acked_at_ms?: number | null
  relayed: boolean
  issuer: boolean
  nodes_acked: number
  nodes_total: number
  nodes_percent?: number | null
  households_acked: number
  households_total: number
  households_percent?: number | null
}

/** The words of a coverage tree node's own state. */
export function ownAckWords(n: CoverageNodeLike): string {
  if (n.issuer) return '下达单位'
  if (n.acked_at_ms == null) return '未签收'
  return n.relayed ? '已签收·已转发' : '已签收'
}

/** The subtree figures of a coverage tree node: nodes, then households. */
export function subtreeWords(n: CoverageNodeLike): string {
  const parts: string[] = []
  if (n.nodes_total > 0) parts.push(`单位 ${coverageText(n.nodes_acked, n.nodes_total, n.nodes_percent)}`)
  if (n.households_total > 0) parts.push(`农户 ${coverageText(n.households_acked, n.households_total, n.households_percent)}`)
  return parts.join(' · ')
}

/** The kind's tag type on the page (colour only beside the words). */
export function kindTag(kind: string): 'info' | 'danger' | 'warning' {
  return kind === 'alert' ? 'danger' : kind === 'task' ? 'warning' : 'info'
}
