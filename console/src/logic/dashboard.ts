// The dashboard's pure parts: which list a figure opens, its light's class and words, the columns shown.
import { issuesLink, householdsLink, directivesLink, type LinkTarget, type MeasureCohort } from './links'

export interface FigureLike {
  key: string
  label: string
  text: string
  value?: number | null
  numerator?: number | null
  denominator?: number | null
  light: 'green' | 'yellow' | 'red' | 'none'
  cohort: string
  misses?: string | null
}

/** The list behind a figure (its cohort), or behind its misses (`misses = true`). */
export function figureLink(f: FigureLike, node: string, from: string, to: string, misses = false): LinkTarget {
  const target = misses && f.misses ? f.misses : f.cohort
  if (target === 'households') return householdsLink(node)
  if (target === 'households_not_visited') return householdsLink(node, true)
  if (target === 'directives') return directivesLink(node)
  return issuesLink({ node, measure: target as MeasureCohort, from, to })
}

/** zh-CN words of a light (shown beside the colour, never colour alone). */
export function lightWord(light: FigureLike['light']): string {
  return { green: '达标', yellow: '预警', red: '未达标', none: '无数据' }[light]
}

/** The columns of the dashboard table, in order: the keys present in any row, the main measures first. */
export function columns(rows: { figures: FigureLike[] }[]): { key: string; label: string }[] {
  const order = [
    'reported', 'open', 'accepted_on_time', 'resolved_on_time', 'satisfied', 'rework', 'escalated',
    'median_accept_hours', 'median_resolve_hours',
  ]
  const seen = new Map<string, string>()
  for (const r of rows) for (const f of r.figures) if (!seen.has(f.key)) seen.set(f.key, f.label)
  const rank = (k: string) => {
    const i = order.indexOf(k)
    if (i >= 0) return i
    if (k.startsWith('ack_')) return 100 + ['ack_township', 'ack_branch', 'ack_group', 'ack_household'].indexOf(k)
    return 200 + (k === 'visits' ? 0 : 1)
  }
  return [...seen.entries()].map(([key, label]) => ({ key, label })).sort((a, b) => rank(a.key) - rank(b.key))
}

/** Whether a figure's misses are worth a link (some missed, and the figure is lit yellow or red). */
export function hasMisses(f: FigureLike): boolean {
  return !!f.misses && (f.light === 'red' || f.light === 'yellow')
}

/** The dashboard API's query from a route's query: node, from, to when given as non-empty text. */
export interface DashboardQuery { node?: string; from?: string; to?: string }
export function dashboardQuery(q: Record<string, unknown>): DashboardQuery {
  const out: DashboardQuery = {}
  for (const k of ['node', 'from', 'to'] as const) {
    const v = q[k]
    if (typeof v === 'string' && v !== '') out[k] = v
  }
  return out
}

/** Equal dashboard queries give equal keys (the early answer of src/firstload.ts is used only for its own query). */
export function dashboardKey(q: DashboardQuery): string {
  return JSON.stringify([q.node ?? '', q.from ?? '', q.to ?? ''])
}
