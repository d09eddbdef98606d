// The app itself: Element Plus (the components every page may use, src/ui.ts) and the root component, mounted on
// #app. Loaded by src/main.ts with a dynamic import after the first load's requests are under way
// (src/firstload.ts), so the browser fetches and evaluates Element Plus while the server answers, instead of
// before it is even asked (issue #14's first load, scripts/bench-console.sh).
import { createApp } from 'vue'
import App from './App.vue'
import { useUi } from './ui'
import { router } from './router'

/** Creates the app with the router and Element Plus and mounts it on #app. */
export function mountApp(): void {
  const app = createApp(App).use(router)
  useUi(app)
  app.mount('#app')
}
