package cn.linkage.shell

// The directive screens' own words (指令下达: composer, 朗读, 催办, 任务完成情况审核), zh-CN first, English second;
// ios/LinkageKit/Sources/LinkageKit/DirectiveStrings.swift is the same table. Records' labels come from the core.

private fun Strings.tt(zh: String, en: String) = if (lang == Lang.ZH_CN) zh else en

val Strings.composeDirective get() = tt("下达指令", "New directive")
val Strings.kindField get() = tt("类型", "Kind")
val Strings.titleField get() = tt("标题", "Title")
val Strings.bodyField get() = tt("正文（全文）", "Full text")
val Strings.dueField get() = tt("办结时限", "Due")
val Strings.noDue get() = tt("不设时限", "No due time")
// Whole numbers as Int/Long: unsigned division is not in Android API 24 (minSdk).
fun Strings.dueInHours(h: UInt) = h.toLong().let { n -> if (n % 24 == 0L) tt("${n / 24} 天内", "within ${n / 24} d") else tt("$n 小时内", "within $n h") }
val Strings.addPhoto get() = tt("添加照片", "Add photo")
fun Strings.photoCount(n: Int) = tt("照片 $n 张", "$n photo(s)")
val Strings.sendDirective get() = tt("下达", "Send")

val Strings.readAloud get() = tt("朗读", "Read aloud")
val Strings.stopReading get() = tt("停止朗读", "Stop reading")

val Strings.remindSilent get() = tt("一键催办", "Remind all")
val Strings.remindOne get() = tt("催办", "Remind")
fun Strings.remindedAt(whenText: String) = tt("已催办 $whenText", "Reminded $whenText")
fun Strings.remindedCount(n: UInt) = if (n == 0u) tt("没有需要催办的单位", "Nobody to remind") else tt("已向 $n 个单位发出催办", "Reminder sent to $n unit(s)")
fun Strings.youWereReminded(whenText: String) = tt("上级已催办（$whenText），请尽快签收", "Reminded by the level above ($whenText): please acknowledge")
val Strings.allAcknowledged get() = tt("全部已签收，没有未签收的单位", "Everyone has acknowledged")
/** One level's line; the percent text comes from the core (`LevelCoverage.percentText`). */
fun Strings.levelCoverage(level: String, a: UInt, total: UInt, percentText: String) =
    tt("$level $a/$total（$percentText）", "$level $a/$total ($percentText)")
val Strings.silentChildren get() = tt("逾期未签收的下级", "Units below me past their window")
fun Strings.silentFor(title: String, hours: Long) = tt("「$title」逾期 $hours 小时", "“$title”: $hours h overdue")

val Strings.taskReports get() = tt("完成情况", "Completion reports")
fun Strings.reportsWaiting(n: UInt) = tt("待审核 $n 份", "$n waiting for review")
val Strings.accept get() = tt("通过", "Accept")
val Strings.sendBack get() = tt("退回", "Send back")
val Strings.sendBackReason get() = tt("退回原因", "Why it is sent back")
val Strings.confirmSendBack get() = tt("确认退回", "Send back")
val Strings.cancel get() = tt("取消", "Cancel")
fun Strings.reportReturned(reason: String) = tt("已退回：$reason。请重新上报", "Sent back: $reason. Report again")
fun Strings.reportStatus(label: String) = tt("完成情况：$label", "Report: $label")
fun Strings.reportBy(node: String, by: String, whenText: String) = tt("$node · $by · $whenText", "$node · $by · $whenText")
