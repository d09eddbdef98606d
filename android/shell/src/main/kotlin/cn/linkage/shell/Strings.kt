package cn.linkage.shell

import cn.linkage.core.AckMeans
import cn.linkage.core.IssueCategory
import cn.linkage.core.Light
import cn.linkage.core.SyncPhase
import cn.linkage.core.Urgency
import cn.linkage.core.VisitKind

/** The UI language. The core labels its records in the same language (`FieldApp.setLocale(lang.tag)`). */
enum class Lang(val tag: String) {
    ZH_CN("zh-CN"),
    EN("en");

    companion object {
        /** `zh*` → Chinese, anything else → English: the same rule as the core's `Locale::from_tag`. */
        fun fromTag(tag: String): Lang = if (tag.lowercase().startsWith("zh")) ZH_CN else EN
    }
}

/**
 * The words the shells show that the core does not already put into its records: screen titles, buttons,
 * and labels for enum values that reach the UI without a label (the report form's category and urgency
 * pickers, the visit kind picker, `AckMeans`, `Light`, `SyncPhase`). Records' own labels (`stateLabel`,
 * `verdictLabel`, ...), the action buttons and their dialogs (`ActionSpec`), the queue's filter chips and
 * every error message (`ApiException.describe`) come from the core.
 * zh-CN first, English second, side by side; ios/LinkageKit/Sources/LinkageKit/Strings.swift is the same table.
 */
class Strings(val lang: Lang) {
    private fun t(zh: String, en: String) = if (lang == Lang.ZH_CN) zh else en

    // ---- common
    val appName get() = t("五级联动", "Linkage")
    val retry get() = t("重试", "Retry")
    val cancel get() = t("取消", "Cancel")
    val back get() = t("返回", "Back")
    val loading get() = t("加载中…", "Loading…")
    val empty get() = t("暂无", "Nothing here")
    val signOut get() = t("退出登录", "Sign out")
    // ---- app lock (应用锁): the system prompt's title and reason
    val unlockTitle get() = t("请验证身份", "Verify it's you")
    val unlockReason get() = t("为保护居民个人信息，请解锁后继续使用", "Unlock to continue: this app holds residents' personal data")
    val more get() = t("加载更多", "Load more")

    // ---- sign-in and enrolment
    val signInTitle get() = t("登录并注册本设备", "Sign in and enrol this device")
    val serverUrl get() = t("服务器地址", "Server URL")
    val userId get() = t("账号", "User ID")
    val password get() = t("密码", "Password")
    val newPassword get() = t("新密码（至少 10 位，含字母、数字或符号中的两种）", "New password (10+ characters, two of letters, digits, symbols)")
    val connect get() = t("登录", "Sign in")
    val connecting get() = t("正在登录并下载辖区数据…", "Signing in and downloading your area…")

    // ---- sync bar
    val syncNow get() = t("立即同步", "Sync now")
    val allSynced get() = t("已全部同步", "All synced")
    fun pending(n: Long) = t("待同步 $n 条", "$n waiting to sync")
    val neverSynced get() = t("尚未同步", "Never synced")
    fun lastSync(whenText: String) = t("上次同步：$whenText", "Last sync: $whenText")
    fun lastSyncFailed(reason: String) = t("上次同步失败：$reason", "Last sync failed: $reason")
    fun quarantined(n: Long) = t("$n 条被服务器退回", "$n refused by the server")
    val quarantineTitle get() = t("被退回的操作（不会自动删除）", "Refused operations (kept, never dropped)")
    fun phase(p: SyncPhase) = when (p) {
        SyncPhase.PUSH -> t("上传更改", "Sending changes")
        SyncPhase.UPLOAD -> t("上传照片", "Uploading photos")
        SyncPhase.PULL -> t("下载更新", "Receiving updates")
        SyncPhase.HOUSEHOLDS -> t("保存户数据", "Storing households")
    }
    fun progress(p: SyncPhase, done: ULong, total: ULong) = "${phase(p)} $done/$total"
    val syncing get() = t("正在同步…", "Syncing…")

    // ---- relative and absolute time
    val justNow get() = t("刚刚", "just now")
    fun minutesAgo(n: Long) = t("$n 分钟前", "$n min ago")
    fun hoursAgo(n: Long) = t("$n 小时前", "$n h ago")
    fun daysAgo(n: Long) = t("$n 天前", "$n days ago")
    fun dueBy(dateTime: String) = t("限 $dateTime 前", "due $dateTime")

    // ---- distances and GPS
    fun metres(m: Long) = t("$m 米", "$m m")
    fun kilometres(km: String) = t("$km 公里", "$km km")
    fun accuracy(m: Long) = t("定位精度 ±$m 米", "GPS accuracy ±$m m")
    fun distanceToHousehold(d: String) = t("距住户 $d", "$d from the household")
    val locating get() = t("正在定位…", "Finding your position…")
    val noLocation get() = t("暂无定位，按逾期天数排序", "No position yet: ordered by days overdue")
    val mockLocation get() = t("检测到虚拟定位，走访将不被认定为在现场", "Mock location detected: the visit will not count as on site")
    fun fixAge(seconds: Long) = t("定位于 $seconds 秒前", "Fix taken $seconds s ago")

    // ---- grid worker: today
    val todayTitle get() = t("今日工作", "Today")
    val overdueSection get() = t("待走访住户（由近及远）", "Households due a visit (nearest first)")
    val assignedSection get() = t("交办给我的诉求", "Issues assigned to me")
    val directivesSection get() = t("待签收的指令", "Directives to acknowledge")
    fun daysOverdue(n: Long) = t("逾期 $n 天", "$n days overdue")
    val neverVisited get() = t("从未走访", "Never visited")

    // ---- household page
    fun members(n: UInt) = t("$n 口人", "$n members")
    val visitsSection get() = t("走访记录", "Visits")
    val issuesSection get() = t("诉求", "Issues")
    val newVisit get() = t("入户走访", "Record a visit")
    val reportIssue get() = t("反映诉求", "Report an issue")
    fun lastOnSite(whenText: String) = t("上次在现场走访：$whenText", "Last on-site visit: $whenText")
    fun photoCount(n: Int) = t("照片 $n 张", "$n photos")
    fun continueDrafts(n: Int) = t("继续填写（$n）", "Continue ($n)")
    val draftsTitle get() = t("继续填写", "Unfinished forms")
    val discardDraft get() = t("不要了", "Throw away")
    val draftKept get() = t("已保存为草稿，可在“继续填写”里接着填", "Saved as a draft; continue it from the list of unfinished forms")

    // ---- visit form
    val visitTitle get() = t("入户走访", "Household visit")
    val visitKind get() = t("走访类型", "Kind of visit")
    val notes get() = t("民情日记", "Notes")
    val takePhoto get() = t("拍照", "Take a photo")
    val saveVisit get() = t("保存走访", "Save visit")
    val saving get() = t("正在保存…", "Saving…")
    val verdictTitle get() = t("现场核验", "On-site check")
    val visitSaved get() = t("走访已保存，将自动同步", "Visit saved; it will sync automatically")

    // ---- report form
    val reportTitle get() = t("反映诉求", "Report an issue")
    val category get() = t("类别", "Category")
    val urgency get() = t("紧急程度", "Urgency")
    val issueTitleField get() = t("标题", "Title")
    val descriptionField get() = t("情况描述", "Description")
    val submit get() = t("提交", "Submit")
    val reportSaved get() = t("诉求已上报，将自动同步", "Issue reported; it will sync automatically")
    val onSpotNoteField get() = t("就地解决情况", "What was done on the spot")
    val submitResolvedOnSpot get() = t("已就地解决，提交", "Resolved on the spot: submit")
    val onSpotSaved get() = t("已按就地解决上报，待乡镇回访核实，将自动同步", "Reported as resolved on the spot; the township will verify it. It will sync automatically")

    // ---- branch secretary (支部书记): home
    val branchQueueSection get() = t("本村待办诉求", "Issues at the village branch")

    // ---- issue page and triage
    val triageTitle get() = t("诉求受理", "Triage queue")
    val timeline get() = t("办理过程", "Timeline")
    val actions get() = t("可进行的操作", "What you can do")
    val noActions get() = t("当前没有您可进行的操作", "Nothing for you to do now")
    val pendingSync get() = t("待同步", "not yet synced")
    val reasonField get() = t("原因", "Reason")
    val noteField get() = t("说明", "Note")
    val photos get() = t("照片", "Photos")
    /** A person in a picker: 董梅彩（网格员 · 石堡村党支部）. */
    fun personChoice(name: String, roleLabel: String, nodeName: String) = t("$name（$roleLabel · $nodeName）", "$name ($roleLabel, $nodeName)")
    val suspendedBadge get() = t("挂起", "Suspended")
    fun extensionPending(days: UInt) = t("延期待批 ${days}天", "Extension pending: $days working days")
    val overdueBadge get() = t("超期", "Overdue")
    val resolvedOnSpotBadge get() = t("就地解决", "Resolved on the spot")
    fun rework(n: UInt) = t("返工 $n 次", "reworked $n×")
    fun escalated(n: UInt) = t("上报上级 $n 次", "escalated $n×")
    val openHousehold get() = t("查看住户", "Open household")
    val myIssuesSection get() = t("我提交的诉求", "Issues I submitted")

    // ---- directives
    val directivesTitle get() = t("指令", "Directives")
    val acknowledge get() = t("签收", "Acknowledge")
    val relay get() = t("转发下级", "Relay down")
    val acknowledged get() = t("已签收", "Acknowledged")
    val relayed get() = t("已转发", "Relayed")
    val overdue get() = t("已超时", "Overdue")
    fun householdsAcked(a: UInt, total: UInt) = t("已告知 $a/$total 户", "$a of $total households told")
    val recordAck get() = t("登记告知方式", "Record how they were told")
    val recordedThisSession get() = t("已登记", "Recorded")
    val coverage get() = t("签收情况", "Acknowledgement coverage")
    val silentNodes get() = t("尚未签收", "Not yet acknowledged")
    fun silentTotal(n: ULong) = t("尚未签收 $n 个", "$n not yet acknowledged")
    /** How a household was told: 电话 · 12月2日 08:30 · 马荣. */
    fun ackRecorded(meansLabel: String, whenText: String, by: String) = t("$meansLabel · $whenText · $by", "$meansLabel · $whenText · $by")
    val untold get() = t("尚未告知", "Not told yet")
    fun issuedBy(name: String) = t("发布：$name", "From $name")
    val myHouseholds get() = t("本组住户", "Households of my group")
    val reportCompletion get() = t("上报完成情况", "Report completion")
    val completionNoteField get() = t("完成情况", "What was done")
    val completed get() = t("已完成", "Completed")
    fun completedAt(whenText: String) = t("已于 $whenText 报告完成", "Reported done $whenText")
    fun tasksCompleted(n: UInt) = t("已报告完成 $n 个", "$n reported done")

    // ---- vocabulary the core leaves unlabelled on these paths
    fun category(c: IssueCategory) = when (c) {
        IssueCategory.INFRASTRUCTURE -> t("基础设施", "Infrastructure")
        IssueCategory.DISPUTE -> t("矛盾纠纷", "Dispute")
        IssueCategory.LIVELIHOOD_AID -> t("民生救助", "Livelihood aid")
        IssueCategory.SAFETY_HAZARD -> t("安全隐患", "Safety hazard")
        IssueCategory.SANITATION -> t("环境卫生", "Sanitation")
        IssueCategory.FOREST_FIRE -> t("护林防火", "Forest fire prevention")
        IssueCategory.PETITION -> t("信访", "Petition")
        IssueCategory.POLICY_CONSULTATION -> t("政策咨询", "Policy question")
        IssueCategory.OTHER -> t("其他", "Other")
    }
    fun urgency(u: Urgency) = when (u) {
        Urgency.NORMAL -> t("一般", "Normal")
        Urgency.URGENT -> t("紧急", "Urgent")
        Urgency.CRITICAL -> t("特急", "Critical")
    }
    fun visitKind(k: VisitKind) = when (k) {
        VisitKind.ROUTINE -> t("常规走访", "Routine visit")
        VisitKind.RETURN_VISIT -> t("回访", "Return visit")
        VisitKind.PETITION_VISIT -> t("下访/约访", "Petition visit")
        VisitKind.EMERGENCY_CHECK -> t("应急排查", "Emergency check")
    }
    fun directiveKind(k: cn.linkage.core.DirectiveKind) = when (k) {
        cn.linkage.core.DirectiveKind.NOTICE -> t("通知", "Notice")
        cn.linkage.core.DirectiveKind.ALERT -> t("预警", "Alert")
        cn.linkage.core.DirectiveKind.TASK -> t("任务", "Task")
    }
    /** The composer's first target: the user's whole area. */
    fun wholeArea(nodeName: String) = t("全部（$nodeName）", "All of $nodeName")
    val targetField get() = t("下达范围", "Send to")
    val directiveSent get() = t("指令已下达", "Directive sent")
    fun ackMeans(m: AckMeans) = when (m) {
        AckMeans.VISIT -> t("入户", "Visit")
        AckMeans.PHONE -> t("电话", "Phone")
        AckMeans.IN_PERSON -> t("当面", "In person")
    }
    fun light(l: Light) = when (l) {
        Light.GREEN -> t("正常", "On time")
        Light.YELLOW -> t("临期", "Due soon")
        Light.RED -> t("超期", "Overdue")
        Light.NONE -> ""
    }

    // ---- errors: the core words every ApiException (`describe`); only a failure outside the core is ours
    val errUnexpected get() = t("发生意外错误", "Something went wrong")
    val errUnexpectedNext get() = t("请重试；如果反复出现，请重启应用", "Try again; if it repeats, restart the app")
    val details get() = t("详情", "Details")

    // ---- location permission and GPS state (what the platform reports; the core grades the fixes)
    fun locationProblem(p: LocationProblem) = when (p) {
        LocationProblem.DENIED -> t("未允许使用位置信息，走访将记为「无定位」。请在系统设置中允许本应用使用位置信息", "Location permission denied: visits are recorded without a position. Allow location for this app in the system settings")
        LocationProblem.APPROXIMATE_ONLY -> t("只允许了大致位置，无法核验是否在现场。请在系统设置中开启「精确位置」", "Only approximate location is allowed, so being on site cannot be checked. Turn on precise location in the system settings")
        LocationProblem.GPS_OFF -> t("手机定位（GPS）已关闭，请在下拉菜单或系统设置中打开", "GPS is switched off: turn it on in the quick settings or system settings")
    }
    val waitingForFreshFix get() = t("正在获取当前位置（不使用旧位置）…", "Getting your current position (old positions are not used)…")
}

/** What the platform says about location access, shown on the visit and report forms. */
enum class LocationProblem { DENIED, APPROXIMATE_ONLY, GPS_OFF }
