import { createApp } from 'vue'
import 'element-plus/dist/index.css'
import './style.css'
import App from './App.vue'
import { useUi } from './ui'
import { router } from './router'
import { setSignedOutHandler } from './api'
import { session } from './session'

setSignedOutHandler(() => {
  session.value = null
  if (router.currentRoute.value.name !== 'signin') router.push({ name: 'signin' })
})

const app = createApp(App).use(router)
useUi(app)
app.mount('#app')
