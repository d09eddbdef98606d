// The state shared by the administrators' lists (账号管理, 设备管理): the rows as the server gives them (all of
// them: a county's accounts and devices), the search words, the page shown (back to 1 when the filter changes),
// the error of loading and the notice of the last step; `ask` confirms a step first, `run` does it and reloads.
// The page frame around them is AdminList.vue.
import { computed, ref, watch, type Ref, type WatchSource } from 'vue'
import { ElMessageBox } from 'element-plus'
import { pageOf } from '../../logic/people'

export function useAdminList<T>(fetchAll: () => Promise<T[]>, filter: (rows: T[], words: string) => T[], alsoFilteredBy: WatchSource[] = []) {
  const rows = ref([]) as Ref<T[]>
  const error = ref('')
  const notice = ref('')
  const loading = ref(false)
  const words = ref('')
  const found = computed(() => filter(rows.value, words.value))
  const page = ref(1)
  const shown = computed(() => pageOf(found.value, page.value))
  watch([words, ...alsoFilteredBy], () => (page.value = 1))

  async function load() {
    loading.value = true
    error.value = ''
    try {
      rows.value = await fetchAll()
    } catch (e) {
      error.value = (e as Error).message
      rows.value = []
    } finally {
      loading.value = false
    }
  }

  /** Asks before a step; false when the user cancels. */
  async function ask(c: { title: string; text: string; button: string }): Promise<boolean> {
    try {
      await ElMessageBox.confirm(c.text, c.title, { confirmButtonText: c.button, cancelButtonText: '取消', type: 'warning' })
      return true
    } catch {
      return false
    }
  }

  /** Does a step: its answer (or its refusal) becomes the notice; the list is reloaded after a success. */
  async function run(step: () => Promise<{ message: string }>): Promise<boolean> {
    notice.value = ''
    try {
      notice.value = (await step()).message
      await load()
      return true
    } catch (e) {
      notice.value = (e as Error).message
      return false
    }
  }

  return { rows, error, notice, loading, words, found, page, shown, load, ask, run }
}
