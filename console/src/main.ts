import { createApp } from 'vue'
import { START_LOCATION } from 'vue-router'
import 'element-plus/dist/index.css'
import './style.css'
import App from './App.vue'
import { useUi } from './ui'
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

// The session, the page's code and (for the dashboard) its data, all at once, before the app even mounts.
startFirstLoad(router, (location.pathname.replace(/^\/console(?=\/|$)/, '') || '/') + location.search)

const app = createApp(App).use(router)
useUi(app)
app.mount('#app')
