// The styles of the Element Plus components of the frame (src/ui.ts registers them for every page: layout, menu,
// buttons, alerts, cards, forms, the loading mask) and of the first page (the dashboard's period picker), per
// component instead of Element Plus's whole stylesheet: that is 360 KB of CSS the browser parsed and matched on
// every first load (issue #14, scripts/bench-console.sh). The other pages' components: src/styles/pages.ts.
import 'element-plus/es/components/base/style/css'
import 'element-plus/es/components/config-provider/style/css'
import 'element-plus/es/components/alert/style/css'
import 'element-plus/es/components/button/style/css'
import 'element-plus/es/components/card/style/css'
import 'element-plus/es/components/container/style/css'
import 'element-plus/es/components/date-picker/style/css'
import 'element-plus/es/components/empty/style/css'
import 'element-plus/es/components/form/style/css'
import 'element-plus/es/components/form-item/style/css'
import 'element-plus/es/components/input/style/css'
import 'element-plus/es/components/loading/style/css'
import 'element-plus/es/components/menu/style/css'
import 'element-plus/es/components/menu-item/style/css'
import 'element-plus/es/components/tag/style/css'
