// ECharts, imported per chart (tree-shaken): the core, the canvas renderer and the bar/line charts of the
// dashboard here; the map page registers the geo component and the scatter chart itself (loaded with it).
// Its own chunk (~170 KB gzip): `useChart` (src/charts.ts) loads it with a dynamic import, so a page's table
// is drawn before the chart library is even evaluated (scripts/bench-console.sh).
import * as echarts from 'echarts/core'
import { BarChart, LineChart } from 'echarts/charts'
import { GridComponent, TooltipComponent, LegendComponent } from 'echarts/components'
import { CanvasRenderer } from 'echarts/renderers'

echarts.use([BarChart, LineChart, GridComponent, TooltipComponent, LegendComponent, CanvasRenderer])

export { echarts }
