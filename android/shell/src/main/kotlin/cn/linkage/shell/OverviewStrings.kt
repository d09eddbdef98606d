package cn.linkage.shell

import cn.linkage.core.Light

// The shell's own words for the overview, the dashboard and the triage pickers (zh-CN first, English second),
// kept beside Strings; ios/LinkageKit/Sources/LinkageKit/OverviewViewModels.swift has the same words.

private fun Strings.tr(zh: String, en: String) = if (lang == Lang.ZH_CN) zh else en

val Strings.overviewTitle get() = tr("诉求总览", "Overview")
val Strings.dashboardTitle get() = tr("工作台", "Dashboard")
val Strings.allAreas get() = tr("全部", "All")
val Strings.dueHouseholdsTitle get() = tr("未走访户", "Households due a visit")
val Strings.silentNodesTitle get() = tr("逾期未签收", "Silent nodes")
val Strings.allFigures get() = tr("全部指标", "All figures")
val Strings.fewerFigures get() = tr("收起", "Fewer")
val Strings.mergeSearchLabel get() = tr("搜索诉求标题", "Search issue titles")
val Strings.mergeSuggestions get() = tr("疑似重复", "Likely the same")
val Strings.noMergeCandidates get() = tr("没有可合并的诉求，可输入标题搜索", "No issue to merge into; search by title")
fun Strings.lastDays(days: Long) = tr("近 $days 天", "Last $days days")
fun Strings.lateBy(ms: Long): String {
    val hours = ms / 3_600_000
    return if (hours < 24) tr("逾期 ${hours} 小时", "${hours} h late") else tr("逾期 ${hours / 24} 天", "${hours / 24} days late")
}
fun Strings.figureLight(l: Light) = when (l) {
    Light.GREEN -> tr("达标", "On target")
    Light.YELLOW -> tr("预警", "Near the limit")
    Light.RED -> tr("未达标", "Off target")
    Light.NONE -> ""
}
val Strings.taskReportsWaiting get() = tr("待审核的完成情况", "Completion reports to review")
val Strings.issuesWaiting get() = tr("待决定的诉求", "Issues waiting for a decision")
