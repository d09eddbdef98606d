// A chart on a page: `useChart` draws an ECharts option into an element. The library (src/echarts.ts, ~175 KB
// gzip) is loaded with a dynamic import only after the page has painted with its data, then the chart drawn: the
// table of a page never waits for the chart library (the dashboard's first load, issue #14; measured by
// scripts/bench-console.sh: loading it at start-up in parallel made the first load no faster under load).
import { onBeforeUnmount, onMounted, watch, type Ref } from 'vue'
import type { EChartsCoreOption, ECharts } from 'echarts/core'

type Lib = typeof import('./echarts')
let lib: Promise<Lib> | null = null
/** Loads the chart library (once). */
export function loadCharts(): Promise<Lib> {
  lib ??= import('./echarts')
  return lib
}

/** Resolves after the browser has painted the current DOM (a frame, then a task). */
function afterPaint(): Promise<void> {
  return new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)))
}

/** Draws `option()` into the element and redraws when `source` changes; resizes with the window.
 *  `afterDraw` runs after each draw (the map's tile layer). */
export function useChart(el: Ref<HTMLElement | null>, source: Ref<unknown>, option: () => EChartsCoreOption | null,
  onClick?: (params: { seriesIndex?: number; dataIndex: number; name: string; data: unknown }) => void,
  afterDraw?: (chart: ECharts) => void) {
  let chart: ECharts | null = null
  let gone = false
  let turn = 0
  const draw = async () => {
    const mine = ++turn
    await afterPaint()
    const { echarts } = await loadCharts()
    // A newer draw was asked for meanwhile, or the page is gone.
    if (gone || mine !== turn || !el.value) return
    const o = option()
    if (!o) return
    if (chart && chart.getDom() !== el.value) {
      chart.dispose()
      chart = null
    }
    if (!chart) {
      chart = echarts.init(el.value)
      if (onClick) chart.on('click', (p) => onClick(p as never))
    }
    chart.setOption(o, true)
    afterDraw?.(chart)
  }
  const resize = () => chart?.resize()
  onMounted(() => {
    void draw()
    window.addEventListener('resize', resize)
  })
  // After the DOM update: the chart's element may appear with the data (v-if).
  watch(source, () => void draw(), { flush: 'post' })
  onBeforeUnmount(() => {
    gone = true
    window.removeEventListener('resize', resize)
    chart?.dispose()
    chart = null
  })
  return { get: () => chart }
}
