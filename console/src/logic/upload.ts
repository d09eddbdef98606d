// The import page (c2): which content type a chosen file is sent as, and the size refused before sending.
// Pure, unit-tested; the server decides everything else (encoding, rows).

/** Largest file the server takes (`people::MAX_IMPORT_BYTES`). */
export const MAX_IMPORT_BYTES = 8 * 1024 * 1024

/** The content type of an import file by its name, or a zh-CN refusal. */
export function importContentType(name: string, size: number): { type: string } | { refusal: string } {
  if (size > MAX_IMPORT_BYTES) return { refusal: '文件过大：最大 8 MB，请分成几个文件导入' }
  const lower = name.toLowerCase()
  if (lower.endsWith('.xlsx')) return { type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' }
  if (lower.endsWith('.csv')) return { type: 'text/csv' }
  if (lower.endsWith('.xls')) return { refusal: '不支持旧版 .xls：请在 Excel 中另存为 .xlsx 或“CSV UTF-8”后再导入' }
  return { refusal: '请选择 .csv 或 .xlsx 文件' }
}
