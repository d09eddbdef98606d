// The Element Plus components every page may use (the frame: layout, menu, forms, buttons), registered once.
// Tree-shaken: a page that needs more (tables, date pickers, trees, uploads, dialogs ...) imports them in its
// own <script setup> (`import { ElTable, ElTableColumn } from 'element-plus'`), so they load with that page
// and the first load stays small (scripts/bench-console.sh reports the bytes). Their styles are per component
// too: these in src/styles/frame.ts, the pages' in src/styles/pages.ts (a new component gets its line there).
import type { App } from 'vue'
import {
  ElAlert, ElAside, ElButton, ElCard, ElConfigProvider, ElContainer, ElEmpty, ElForm, ElFormItem, ElHeader,
  ElInput, ElLoading, ElMain, ElMenu, ElMenuItem, ElTag,
} from 'element-plus'

const components = [
  ElAlert, ElAside, ElButton, ElCard, ElConfigProvider, ElContainer, ElEmpty, ElForm, ElFormItem, ElHeader,
  ElInput, ElMain, ElMenu, ElMenuItem, ElTag,
]

export function useUi(app: App) {
  for (const c of components) app.use(c)
  app.use(ElLoading) // the v-loading directive
}
