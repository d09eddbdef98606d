// ECharts, imported per chart (tree-shaken): the core, the canvas renderer and the bar/line charts of the
// dashboard here; the map page registers the geo component and the scatter chart itself (loaded with it).
import * as echarts from 'echarts/core'
import { BarChart, LineChart } from 'echarts/charts'
import { GridComponent, TooltipComponent, LegendComponent } from 'echarts/components'
import { CanvasRenderer } from 'echarts/renderers'
import { onBeforeUnmount, onMounted, watch, type Ref } from 'vue'

echarts.use([BarChart, LineChart, GridComponent, TooltipComponent, LegendComponent, CanvasRenderer])

export { echarts }

/** Draws `option()` into the element and redraws when `source` changes; resizes with the window. */
export function useChart(el: Ref<HTMLElement | null>, source: Ref<unknown>, option: () => echarts.EChartsCoreOption | null,
  onClick?: (params: { seriesIndex?: number; dataIndex: number; name: string; data: unknown }) => void) {
  let chart: echarts.ECharts | null = null
  const draw = () => {
    if (!el.value) return
    const o = option()
    if (!o) return
    if (!chart) {
      chart = echarts.init(el.value)
      if (onClick) chart.on('click', (p) => onClick(p as never))
    }
    chart.setOption(o, true)
  }
  const resize = () => chart?.resize()
  onMounted(() => {
    draw()
    window.addEventListener('resize', resize)
  })
  // After the DOM update: the chart's element may appear with the data (v-if).
  watch(source, draw, { flush: 'post' })
  onBeforeUnmount(() => {
    window.removeEventListener('resize', resize)
    chart?.dispose()
    chart = null
  })
  return { get: () => chart }
}
