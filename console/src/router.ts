// THE route list of the console: the side menu is drawn from `pages` (entries with a `menu` title), so a new
// page is one entry here (engineer c2 adds issues, directives, ledger, import, people).
//
// Query filters agreed between pages (built and parsed in src/logic/links.ts — use those functions):
//   /issues?node=<node id>&light=green|yellow|red&state=reported,accepted,...&category=<category>
//          &red_card=1&waiting=1&overdue=1&measure=<cohort>&from=YYYY-MM-DD&to=YYYY-MM-DD
//     measure = reported | accepted | accept_late | resolve_due | resolve_late | verified | dissatisfied
//               | reworked | escalated  (the issues a dashboard figure counts over from–to)
//   /households?node=<node id>&visited=0|1&q=<words>&tag=<tag>&risk=low|medium|high&page=N
//          (visited=0: not visited on site by the grid worker within the branch cadence; src/logic/ledger.ts)
//   /households/<id>?visits=N&issues=N           (a household's page; its visits' and issues' pages)
//   /directives?node=<node id>&side=issued|received&waiting=1   (built and parsed in src/logic/directives.ts)
//   /dashboard?node=<node id>&from=YYYY-MM-DD&to=YYYY-MM-DD
//   /map?node=<node id>
// An id outside the signed-in user's area is answered by the server as an unknown one (404, shown as its zh-CN
// message); a page for county administrators only answers 403 to others (also shown as its words).
import { createRouter, createWebHistory, type RouteRecordRaw, type RouteComponent } from 'vue-router'
import { session, loadSession } from './session'

export interface Page {
  path: string
  name: string
  /** The side menu's label (zh-CN); pages without one are reachable by link only (e.g. an issue's page). */
  menu?: string
  /** Roles that see the menu entry (default: every staff role). */
  roles?: Array<'county_staff' | 'township_staff'>
  component: () => Promise<RouteComponent | { default: RouteComponent }>
}

export const pages: Page[] = [
  { path: '/dashboard', name: 'dashboard', menu: '工作台', component: () => import('./views/DashboardView.vue') },
  { path: '/map', name: 'map', menu: '地图', component: () => import('./views/MapView.vue') },
  { path: '/issues', name: 'issues', menu: '诉求', component: () => import('./views/issues/IssuesView.vue') },
  { path: '/issues/:id', name: 'issue', component: () => import('./views/issues/IssueView.vue') },
  { path: '/directives', name: 'directives', menu: '指令', component: () => import('./views/directives/DirectivesView.vue') },
  { path: '/directives/new', name: 'directive-new', component: () => import('./views/directives/ComposeView.vue') },
  { path: '/directives/:id', name: 'directive', component: () => import('./views/directives/DirectiveView.vue') },
  { path: '/households', name: 'households', menu: '住户台账', component: () => import('./views/ledger/HouseholdsView.vue') },
  { path: '/households/:id', name: 'household', component: () => import('./views/ledger/HouseholdView.vue') },
  { path: '/import', name: 'import', menu: '台账导入', roles: ['county_staff'], component: () => import('./views/people/ImportView.vue') },
  { path: '/users', name: 'users', menu: '账号管理', roles: ['county_staff'], component: () => import('./views/people/UsersView.vue') },
  { path: '/devices', name: 'devices', menu: '设备管理', roles: ['county_staff'], component: () => import('./views/people/DevicesView.vue') },
  { path: '/forms', name: 'forms', menu: '问卷', component: () => import('./views/forms/FormsView.vue') },
  { path: '/forms/:id', name: 'form-report', component: () => import('./views/forms/FormReportView.vue') },
]

const routes: RouteRecordRaw[] = [
  { path: '/signin', name: 'signin', component: () => import('./views/SignInView.vue'), meta: { public: true } },
  {
    path: '/',
    component: () => import('./views/LayoutView.vue'),
    children: [
      { path: '', redirect: '/dashboard' },
      ...pages.map((p) => ({ path: p.path.replace(/^\//, ''), name: p.name, component: p.component })),
      { path: ':rest(.*)*', name: 'notfound', component: () => import('./views/NotFoundView.vue') },
    ],
  },
]

export const router = createRouter({ history: createWebHistory('/console/'), routes })

router.beforeEach(async (to) => {
  if (to.meta.public) return true
  if (!session.value) {
    await loadSession()
    if (!session.value) return { name: 'signin', query: to.fullPath !== '/' ? { next: to.fullPath } : {} }
  }
  return true
})

/** The menu entries the signed-in role sees. */
export function menuFor(role: string | undefined): Page[] {
  return pages.filter((p) => p.menu && (!p.roles || (role !== undefined && (p.roles as string[]).includes(role))))
}
