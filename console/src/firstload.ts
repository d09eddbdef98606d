// The first load of a page without a waterfall (issue #14: the dashboard in ≤ 1 s, scripts/bench-console.sh).
// Left alone, the browser would load the main bundle, then ask who is signed in (the router's guard), only then
// load the layout's and the page's code, only then ask for the page's data, and draw the charts in the same
// task as the table. `startFirstLoad` (called by src/main.ts before the app mounts) starts at once, in
// parallel: the session question, the code of the page the address opens (the lazy route chunks), and, for the
// dashboard, its data; the page then takes the answer already under way (the charts come after the table has
// painted: src/charts.ts).
import type { Router } from 'vue-router'
import { api, call, type Schemas } from './api'
import { loadSession } from './session'
import { readCookie } from './logic/cookies'
import { dashboardKey, dashboardQuery, type DashboardQuery } from './logic/dashboard'

type Dashboard = Schemas['Dashboard']

/** Asks the server for a dashboard. */
export function fetchDashboard(q: DashboardQuery): Promise<Dashboard> {
  return call(api.GET('/v1/console/dashboard', { params: { query: q } }))
}

let early: { key: string; answer: Promise<Dashboard> } | null = null

/** The dashboard for `q`: the answer asked for at start-up when it is for the same query (used once), else a
 *  new question. */
export function dashboard(q: DashboardQuery): Promise<Dashboard> {
  const e = early
  early = null
  if (e && e.key === dashboardKey(q)) return e.answer
  return fetchDashboard(q)
}

/** Starts the requests of the page at the browser's address (see the module's comment). */
export function startFirstLoad(router: Router, path: string): void {
  void loadSession()
  let to = router.resolve(path)
  const last = to.matched[to.matched.length - 1]
  if (last && typeof last.redirect === 'string') to = router.resolve(last.redirect)
  for (const record of to.matched) {
    const c = record.components?.default
    // Every route component is lazy (src/router.ts): a function returning the import. The router's own import
    // later finds the module already loaded (the browser loads a module once).
    if (typeof c === 'function') void (c as () => Promise<unknown>)().catch(() => {})
  }
  // Without the CSRF cookie nobody signed in from this browser: the sign-in page will show, nothing to fetch.
  if (to.name === 'dashboard' && readCookie(document.cookie, 'linkage_csrf')) {
    const q = dashboardQuery(to.query)
    const answer = fetchDashboard(q)
    answer.catch(() => {}) // shown by the page that takes it
    early = { key: dashboardKey(q), answer }
  }
}
