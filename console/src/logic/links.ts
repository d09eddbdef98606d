// Click-through from a figure to the list behind it: every figure of the dashboard and the map links to a
// page of the console with query filters (the names are agreed in router.ts). Pure, so it is unit-tested.

/** Filters of the issues page (`/issues`). Every field optional; absent = no filter. */
export interface IssueFilters {
  /** Org node id: the issues of its subtree. */
  node?: string
  /** Current SLA light of open issues. */
  light?: 'green' | 'yellow' | 'red'
  /** Issue states (snake_case, `IssueState`), comma-separated in the URL. */
  state?: string[]
  category?: string
  /** Only red-carded (红牌督办) issues. */
  red_card?: boolean
  /** Only issues waiting for my decision (待我审批). */
  waiting?: boolean
  /** Only overdue (超期) open issues. */
  overdue?: boolean
  /** A measure's cohort: the issues a figure counts (see MeasureCohort). */
  measure?: MeasureCohort
  /** Reported (or counted) from this day, YYYY-MM-DD (China time), inclusive. */
  from?: string
  /** ... to this day, inclusive. */
  to?: string
}

/**
 * The issues a dashboard figure counts, over the period `from`–`to` (DESIGN §5, protocol rules::measures):
 * reported (上报), accept_late / accepted (按期受理率's misses / cohort), resolve_late / resolve_due
 * (按期办结率's misses / cohort), reworked (返工), dissatisfied (不满意) / verified (满意率's cohort), escalated (上报上级).
 */
export type MeasureCohort =
  | 'reported'
  | 'accepted'
  | 'accept_late'
  | 'resolve_due'
  | 'resolve_late'
  | 'verified'
  | 'dissatisfied'
  | 'reworked'
  | 'escalated'

export interface LinkTarget {
  path: string
  query: Record<string, string>
}

/** The issues page with these filters (only the filters set appear in the URL). */
export function issuesLink(f: IssueFilters): LinkTarget {
  const q: Record<string, string> = {}
  if (f.node) q.node = f.node
  if (f.light) q.light = f.light
  if (f.state && f.state.length) q.state = f.state.join(',')
  if (f.category) q.category = f.category
  if (f.red_card) q.red_card = '1'
  if (f.waiting) q.waiting = '1'
  if (f.overdue) q.overdue = '1'
  if (f.measure) q.measure = f.measure
  if (f.from) q.from = f.from
  if (f.to) q.to = f.to
  return { path: '/issues', query: q }
}

/** Reads the issues page's filters back from a route query (what c2's page does). */
export function parseIssueFilters(query: Record<string, unknown>): IssueFilters {
  const s = (k: string) => (typeof query[k] === 'string' && query[k] !== '' ? (query[k] as string) : undefined)
  const flag = (k: string) => query[k] === '1' || query[k] === 'true'
  const light = s('light')
  const f: IssueFilters = {}
  if (s('node')) f.node = s('node')
  if (light === 'green' || light === 'yellow' || light === 'red') f.light = light
  if (s('state')) f.state = s('state')!.split(',').filter((x) => x !== '')
  if (s('category')) f.category = s('category')
  if (flag('red_card')) f.red_card = true
  if (flag('waiting')) f.waiting = true
  if (flag('overdue')) f.overdue = true
  if (s('measure')) f.measure = s('measure') as MeasureCohort
  if (s('from')) f.from = s('from')
  if (s('to')) f.to = s('to')
  return f
}

/** The household ledger (`/households`): the households of a node, optionally those not visited in time. */
export function householdsLink(node: string, notVisited = false): LinkTarget {
  return { path: '/households', query: notVisited ? { node, visited: '0' } : { node } }
}

/** The directives page (`/directives`) for a node's area. */
export function directivesLink(node: string): LinkTarget {
  return { path: '/directives', query: { node } }
}
