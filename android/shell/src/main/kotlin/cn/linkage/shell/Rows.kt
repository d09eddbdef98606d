package cn.linkage.shell

import cn.linkage.core.DirectiveKind
import cn.linkage.core.DirectiveSummary
import cn.linkage.core.HouseholdSummary
import cn.linkage.core.IssueSummary
import cn.linkage.core.Light
import cn.linkage.core.OnSiteVerdict
import cn.linkage.core.OverdueHousehold
import cn.linkage.core.RiskLevel
import cn.linkage.core.Urgency
import cn.linkage.core.VisitSummary

// Row models: core records turned into the strings a list row shows. Labels come from the core; the shell
// adds only formatting (dates, distances) and its own words.

/** An issue in any list (triage queue, assigned to me, reported by me, a household's issues). */
data class IssueRow(
    val id: String,
    val title: String,
    val subtitle: String,
    val stateLabel: String,
    val light: Light,
    val lightLabel: String,
    val dueText: String?,
    val urgent: Boolean,
    /** 黄牌督办, 挂起, 延期待批 N天, 超期, 就地解决 (see [badges]). */
    val badges: List<String>,
)

fun IssueSummary.toRow(s: Strings, f: Format) = IssueRow(
    id = id,
    title = title,
    subtitle = "$categoryLabel · $urgencyLabel",
    stateLabel = stateLabel,
    light = light,
    lightLabel = s.light(light),
    dueText = f.due(dueAtMs),
    urgent = urgency != Urgency.NORMAL,
    badges = badges(s),
)

/** A household as lists show it (phone and ID number already masked by the core). */
data class HouseholdRow(
    val id: String,
    val headName: String,
    val subtitle: String,
    val tags: List<String>,
    val risk: RiskLevel,
    val riskLabel: String,
)

fun HouseholdSummary.toRow() = HouseholdRow(id, headName, "$address · $groupName", tags, riskLevel, riskLabel)

/** A household due a visit; nearest first as the core ordered them. */
data class OverdueRow(
    val household: HouseholdRow,
    val overdueText: String,
    val distanceText: String?,
)

fun OverdueHousehold.toRow(s: Strings, f: Format) = OverdueRow(
    household = household.toRow(),
    overdueText = daysOverdue?.let { s.daysOverdue(it) } ?: s.neverVisited,
    distanceText = distanceM?.let { f.distance(it) },
)

/** A stored visit with the core's on-site verdict. */
data class VisitRow(
    val id: String,
    val kindLabel: String,
    val whenText: String,
    val verdictLabel: String,
    val onSite: Boolean,
    val notes: String,
    val photosText: String,
    /** The visit's photos once loaded (thumbnails; a colleague's downloaded by the core). */
    val photos: List<PhotoView> = emptyList(),
)

fun VisitSummary.toRow(s: Strings, f: Format) = VisitRow(
    id = id,
    kindLabel = kindLabel,
    whenText = f.dateTime(startedAtMs),
    verdictLabel = verdictLabel,
    onSite = verdict == OnSiteVerdict.ON_SITE,
    notes = notes,
    photosText = s.photoCount(evidence.size),
)

/** A directive in an inbox. */
data class DirectiveRow(
    val id: String,
    val kindLabel: String,
    val title: String,
    val body: String,
    val issuerText: String?,
    val issuedText: String,
    val dueText: String?,
    val overdue: Boolean,
    val acknowledged: Boolean,
    val relayed: Boolean,
    val householdsText: String?,
    val isTask: Boolean,
    /** 已于 … 报告完成, once my node reported the task done. */
    val completedText: String?,
    /** The buttons shown: the steps the core's directive rules leave open to me (签收, 转发, 上报完成情况). */
    val showAcknowledge: Boolean,
    val showRelay: Boolean,
    val showReportCompletion: Boolean,
    /** 上级已催办 (…), while my node has not signed for it. */
    val remindedText: String? = null,
    /** 完成情况：待审核 / 已通过 (my node's report), or why it was sent back. */
    val reportStatusText: String? = null,
    val returnedText: String? = null,
    /** 待审核 N 份 (the issuing node's reports to review). */
    val reportsWaitingText: String? = null,
    /** The issuer's photos (evidence hashes). */
    val photoHashes: List<String> = emptyList(),
    /** What 朗读 reads: kind, title and the full text. */
    val readAloudText: String = "",
)

fun DirectiveSummary.toRow(s: Strings, f: Format) = DirectiveRow(
    id = id,
    kindLabel = kindLabel,
    title = title,
    body = body,
    issuerText = issuerName?.let { s.issuedBy(it) },
    issuedText = f.dateTime(issuedAtMs),
    dueText = f.due(dueAtMs),
    overdue = overdue,
    acknowledged = acknowledgedAtMs != null,
    relayed = relayedAtMs != null,
    householdsText = if (householdsTotal > 0u) s.householdsAcked(householdsAcknowledged, householdsTotal) else null,
    isTask = kind == DirectiveKind.TASK,
    completedText = completedAtMs?.let { s.completedAt(f.dateTime(it)) },
    showAcknowledge = canAcknowledge,
    showRelay = canRelay,
    showReportCompletion = canReportCompletion,
    remindedText = remindedAtMs?.let { s.youWereReminded(f.dateTime(it)) },
    reportStatusText = if (reportReturnReason == null) reportStatusLabel?.let { s.reportStatus(it) } else null,
    returnedText = reportReturnReason?.let { s.reportReturned(it) },
    reportsWaitingText = if (reportsWaiting > 0u) s.reportsWaiting(reportsWaiting) else null,
    photoHashes = evidence,
    readAloudText = "$kindLabel。$title。$body",
)
