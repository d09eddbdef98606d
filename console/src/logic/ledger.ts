// The ledger pages (民生台账, issue #14 point 7): the household search's filters in the route query (so the
// dashboard's "not visited" figure and a reload open the same list) turned into the query of
// GET /v1/console/households, the household page's paging, and the measures export's period and file name.
// Pure, unit-tested; the server decides scope, privacy and what "visited" means.

/** Risk levels (`RiskLevel`), with their zh-CN names for the filter. */
export const RISKS = [
  { value: 'low', label: '低风险' },
  { value: 'medium', label: '中风险' },
  { value: 'high', label: '高风险' },
] as const
export type Risk = (typeof RISKS)[number]['value']

/** The search page's filters (route query of `/households`). */
export interface HouseholdFilters {
  /** Words in the head's name or the address. */
  q?: string
  tag?: string
  risk?: Risk
  /** An org node of the caller's area. */
  node?: string
  /** false: not visited on site within the cadence (`visited=0`); true: visited (`visited=1`). */
  visited?: boolean
  page?: number
}

/** The query of `GET /v1/console/households`. */
export interface HouseholdQuery {
  q?: string
  tag?: string
  risk?: Risk
  node?: string
  visited?: boolean
  page: number
  page_size: number
}

export const PAGE_SIZE = 20
/** The server's limits of the search words (longer ones are refused there; cut here so typing never errors). */
export const MAX_WORDS = 50
export const MAX_TAG = 20

const str = (query: Record<string, unknown>, k: string) => {
  const v = query[k]
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined
}

/** Reads the filters back from a route query; unknown values are dropped. */
export function parseHouseholdFilters(query: Record<string, unknown>): HouseholdFilters {
  const f: HouseholdFilters = {}
  const q = str(query, 'q')
  if (q) f.q = [...q].slice(0, MAX_WORDS).join('')
  const tag = str(query, 'tag')
  if (tag) f.tag = [...tag].slice(0, MAX_TAG).join('')
  const risk = str(query, 'risk')
  if (RISKS.some((r) => r.value === risk)) f.risk = risk as Risk
  const node = str(query, 'node')
  if (node && /^[A-Za-z0-9_-]{1,64}$/.test(node)) f.node = node
  const visited = str(query, 'visited')
  if (visited === '0' || visited === 'false') f.visited = false
  if (visited === '1' || visited === 'true') f.visited = true
  const page = Number(str(query, 'page'))
  if (Number.isInteger(page) && page > 1 && page <= 100000) f.page = page
  return f
}

/** The route query for these filters (only those set; page 1 left out). */
export function householdFiltersQuery(f: HouseholdFilters): Record<string, string> {
  const q: Record<string, string> = {}
  if (f.q) q.q = f.q
  if (f.tag) q.tag = f.tag
  if (f.risk) q.risk = f.risk
  if (f.node) q.node = f.node
  if (f.visited !== undefined) q.visited = f.visited ? '1' : '0'
  if (f.page && f.page > 1) q.page = String(f.page)
  return q
}

/** The API query for the filters. */
export function householdQuery(f: HouseholdFilters): HouseholdQuery {
  const out: HouseholdQuery = { page: f.page ?? 1, page_size: PAGE_SIZE }
  if (f.q) out.q = f.q
  if (f.tag) out.tag = f.tag
  if (f.risk) out.risk = f.risk
  if (f.node) out.node = f.node
  if (f.visited !== undefined) out.visited = f.visited
  return out
}

/** What the list is showing, in a sentence (the page's subtitle). */
export function filtersSentence(f: HouseholdFilters, cadenceDays: number | undefined): string {
  const parts: string[] = []
  if (f.q) parts.push(`姓名或地址含“${f.q}”`)
  if (f.tag) parts.push(`标签“${f.tag}”`)
  if (f.risk) parts.push(`风险等级“${RISKS.find((r) => r.value === f.risk)!.label}”`)
  if (f.visited === false) parts.push(cadenceDays ? `近 ${cadenceDays} 天网格员未上门走访` : '网格员未按期上门走访')
  if (f.visited === true) parts.push(cadenceDays ? `近 ${cadenceDays} 天网格员已上门走访` : '网格员已按期上门走访')
  return parts.length ? '筛选：' + parts.join('，') : '全部住户'
}

/** The household page's query (`/households/:id?visits=2&issues=1`) → the API's. */
export function detailQuery(query: Record<string, unknown>): { visits_page: number; issues_page: number; page_size: number } {
  const page = (k: string) => {
    const n = Number(str(query, k))
    return Number.isInteger(n) && n >= 1 && n <= 100000 ? n : 1
  }
  return { visits_page: page('visits'), issues_page: page('issues'), page_size: 10 }
}

/** A time in China's time zone, to the minute (`2026-12-02 09:05`); empty for none. */
export function shanghaiTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return ''
  const d = new Date(ms + 8 * 3600_000)
  const p = (n: number) => String(n).padStart(2, '0')
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}`
}

/** A day (YYYY-MM-DD) in China's time zone. */
export function shanghaiDay(ms: number): string {
  return shanghaiTime(ms).slice(0, 10)
}

/** The measures export of a node over the dashboard's period (the XLSX of `linkage-server measures`). */
export function exportUrl(node: string, from: string, to: string): string {
  const q = new URLSearchParams({ node, from, to })
  return `/v1/console/measures/export?${q}`
}

/** The file name the export is saved as, from the server's Content-Disposition (else one made here). */
export function exportFileName(disposition: string | null, node: string, from: string, to: string): string {
  const m = disposition ? /filename="?([^";]+)"?/.exec(disposition) : null
  return m ? m[1] : `measures-${node}-${from}-${to}.xlsx`
}
