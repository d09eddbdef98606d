// The console's entry: the router and the first load's requests (src/firstload.ts: the session, the page's code
// and, for the dashboard, its data) start before the rest of the app — Element Plus and the root component,
// src/app.ts — is even fetched; the app mounts when it has arrived. The styles are the entry's (linked in
// index.html's head, before any page's): Element Plus's base and the frame's components (src/styles/frame.ts),
// then the console's own (big text, high contrast).
import './styles/frame'
import './style.css'
import { START_LOCATION } from 'vue-router'
import { router } from './router'
import { setSignedOutHandler } from './api'
import { session } from './session'
import { startFirstLoad } from './firstload'

setSignedOutHandler(() => {
  session.value = null
  // Before the first page is shown the router's guard sends the user to sign in (keeping the address to return to).
  if (router.currentRoute.value === START_LOCATION) return
  if (router.currentRoute.value.name !== 'signin') router.push({ name: 'signin' })
})

// The session, the page's code and (for the dashboard) its data, all at once, before the app is even loaded.
startFirstLoad(router, (location.pathname.replace(/^\/console(?=\/|$)/, '') || '/') + location.search)

void import('./app').then(({ mountApp }) => mountApp())
