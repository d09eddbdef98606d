// The dashboard's period picker: Element Plus's date picker whose calendar panel is built when it is first
// opened, not when the page mounts. ElDatePicker renders its popper "persistent": both month grids of a range
// panel (84 cells, each computed with dayjs) are built — and rebuilt when the period arrives — while the page
// first loads, though nobody has opened the picker yet; that was a tenth of the dashboard's first load
// (issue #14, scripts/bench-console.sh). The input boxes, their text, keyboard and mouse behaviour are Element
// Plus's own (its CommonPicker; the shown dates do not depend on the panel); the panel is Element Plus's
// ElDatePickerPanel, mounted on the first opening with the same props ElDatePicker gives it, and kept after.
import { defineComponent, h, provide, reactive, toRef } from 'vue'
import {
  CommonPicker, DEFAULT_FORMATS_DATEPICKER, ElDatePickerPanel, PICKER_POPPER_OPTIONS_INJECTION_KEY, datePickerProps,
} from 'element-plus'

/** `<el-date-picker>` with a lazily built panel (same props and `update:modelValue` event). */
export default defineComponent({
  name: 'DateRangePicker',
  props: datePickerProps,
  emits: ['update:modelValue'],
  setup(props, { emit }) {
    provide(PICKER_POPPER_OPTIONS_INJECTION_KEY, reactive(toRef(props, 'popperOptions')))
    let opened = false
    return () => h(CommonPicker, {
      ...props,
      format: props.format ?? ((DEFAULT_FORMATS_DATEPICKER as Record<string, string>)[props.type] || 'YYYY-MM-DD'),
      type: props.type,
      'onUpdate:modelValue': (v: unknown) => emit('update:modelValue', v),
    }, {
      default: (scoped: Record<string, unknown>) => {
        // The picker re-renders this slot when it opens (`visible`); from then on the panel stays.
        if (scoped.visible) opened = true
        return opened ? h(ElDatePickerPanel, { disabled: props.disabled, editable: props.editable, border: false, ...scoped }) : null
      },
    })
  },
})
