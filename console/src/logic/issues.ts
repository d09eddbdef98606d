// The issues pages (c2): the route's agreed filters (router.ts, links.ts) turned into the query of
// GET /v1/console/issues, and the console's action form turned into the action body. Pure, unit-tested.
import type { IssueFilters } from './links'

/** The query of `GET /v1/console/issues` for the page's filters. */
export interface IssueListQuery {
  state?: 'open' | 'all' | 'reported' | 'accepted' | 'assigned' | 'in_progress' | 'resolved' | 'closed' | 'rejected' | 'merged'
  light?: 'green' | 'yellow' | 'red'
  category?: Category
  township?: string
  red_card?: boolean
  waiting?: boolean
  q?: string
  page?: number
  page_size?: number
}

const CATEGORIES = ['infrastructure', 'dispute', 'livelihood_aid', 'safety_hazard', 'sanitation', 'forest_fire', 'petition', 'policy_consultation', 'other'] as const
/** An issue category (`IssueCategory`). */
export type Category = (typeof CATEGORIES)[number]

const STATES = ['reported', 'accepted', 'assigned', 'in_progress', 'resolved', 'closed', 'rejected', 'merged'] as const

/** One state filters on the server; several (or none) list the open issues. `overdue` is the red light. */
export function listQuery(f: IssueFilters, page: number, q = ''): IssueListQuery {
  const out: IssueListQuery = { page, page_size: 20 }
  const states = (f.state ?? []).filter((s) => (STATES as readonly string[]).includes(s))
  if (states.length === 1) out.state = states[0] as IssueListQuery['state']
  if (f.light) out.light = f.light
  else if (f.overdue) out.light = 'red'
  if (f.category && (CATEGORIES as readonly string[]).includes(f.category)) out.category = f.category as Category
  if (f.node) out.township = f.node
  if (f.red_card) out.red_card = true
  if (f.waiting) out.waiting = true
  if (q.trim()) out.q = q.trim()
  return out
}

/** A fresh op id per submit (the idempotency key of an action): a UUID. */
export function newOpId(): string {
  return crypto.randomUUID()
}

/** What the action dialog collected. */
export interface ActionForm {
  text: string
  choice: string
  days: number
  person: string
}

/** The action body for an action spec (`type` and the payload the spec asks for). */
export function actionBody(action: string, textField: string | null | undefined, form: ActionForm): Record<string, unknown> {
  const body: Record<string, unknown> = { type: action }
  if (textField) body[textField] = form.text
  if (action === 'supervise') body.level = form.choice || 'normal'
  if (action === 'verify') body.satisfaction = form.choice || 'satisfied'
  if (action === 'decide_extension') body.approved = form.choice !== 'no'
  if (action === 'request_extension') body.working_days = form.days
  if (action === 'assign') body.assignee_id = form.person
  if (action === 'escalate') body.to_node_id = ''
  if (action === 'resolve') body.evidence = []
  return body
}
