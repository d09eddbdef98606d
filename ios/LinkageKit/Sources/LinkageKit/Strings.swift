import Foundation

/// The UI language. The core labels its records in the same language (`FieldApp.setLocale(languageTag:)`).
public enum Lang: String, CaseIterable, Sendable {
    case zhCN = "zh-CN"
    case en = "en"

    public var tag: String { rawValue }

    /// `zh*` → Chinese, anything else → English: the same rule as the core's `Locale::from_tag`.
    public static func fromTag(_ tag: String) -> Lang {
        tag.lowercased().hasPrefix("zh") ? .zhCN : .en
    }
}

/// The words the shells show that the core does not already put into its records. The same table, word for
/// word, as android/shell/src/main/kotlin/cn/linkage/shell/Strings.kt: zh-CN first, English second.
public struct Strings: Sendable {
    public let lang: Lang

    public init(_ lang: Lang) { self.lang = lang }

    private func t(_ zh: String, _ en: String) -> String { lang == .zhCN ? zh : en }

    // ---- common
    public var appName: String { t("五级联动", "Linkage") }
    public var retry: String { t("重试", "Retry") }
    public var cancel: String { t("取消", "Cancel") }
    public var back: String { t("返回", "Back") }
    public var loading: String { t("加载中…", "Loading…") }
    public var empty: String { t("暂无", "Nothing here") }
    public var signOut: String { t("退出登录", "Sign out") }
    // ---- app lock (应用锁): the system prompt's title and reason
    public var unlockTitle: String { t("请验证身份", "Verify it's you") }
    public var unlockReason: String { t("为保护居民个人信息，请解锁后继续使用", "Unlock to continue: this app holds residents' personal data") }
    public var more: String { t("加载更多", "Load more") }
    // ---- sign-in and enrolment
    public var signInTitle: String { t("登录并注册本设备", "Sign in and enrol this device") }
    public var serverUrl: String { t("服务器地址", "Server URL") }
    public var userId: String { t("账号", "User ID") }
    public var password: String { t("密码", "Password") }
    public var newPassword: String { t("新密码（至少 10 位，含字母、数字或符号中的两种）", "New password (10+ characters, two of letters, digits, symbols)") }
    public var connect: String { t("登录", "Sign in") }
    public var connecting: String { t("正在登录并下载辖区数据…", "Signing in and downloading your area…") }
    // ---- sync bar
    public var syncNow: String { t("立即同步", "Sync now") }
    public var allSynced: String { t("已全部同步", "All synced") }
    public var neverSynced: String { t("尚未同步", "Never synced") }
    public var quarantineTitle: String { t("被退回的操作（不会自动删除）", "Refused operations (kept, never dropped)") }
    public var syncing: String { t("正在同步…", "Syncing…") }
    // ---- relative and absolute time
    public var justNow: String { t("刚刚", "just now") }
    // ---- distances and GPS
    public var locating: String { t("正在定位…", "Finding your position…") }
    public var noLocation: String { t("暂无定位，按逾期天数排序", "No position yet: ordered by days overdue") }
    public var mockLocation: String { t("检测到虚拟定位，走访将不被认定为在现场", "Mock location detected: the visit will not count as on site") }
    // ---- grid worker: today
    public var todayTitle: String { t("今日工作", "Today") }
    public var overdueSection: String { t("待走访住户（由近及远）", "Households due a visit (nearest first)") }
    public var assignedSection: String { t("交办给我的诉求", "Issues assigned to me") }
    public var directivesSection: String { t("待签收的指令", "Directives to acknowledge") }
    public var neverVisited: String { t("从未走访", "Never visited") }
    // ---- household page
    public var visitsSection: String { t("走访记录", "Visits") }
    public var issuesSection: String { t("诉求", "Issues") }
    public var newVisit: String { t("入户走访", "Record a visit") }
    public var reportIssue: String { t("反映诉求", "Report an issue") }
    // ---- visit form
    public var visitTitle: String { t("入户走访", "Household visit") }
    public var visitKind: String { t("走访类型", "Kind of visit") }
    public var notes: String { t("民情日记", "Notes") }
    public var takePhoto: String { t("拍照", "Take a photo") }
    public var saveVisit: String { t("保存走访", "Save visit") }
    public var saving: String { t("正在保存…", "Saving…") }
    public var verdictTitle: String { t("现场核验", "On-site check") }
    public var visitSaved: String { t("走访已保存，将自动同步", "Visit saved; it will sync automatically") }
    // ---- report form
    public var reportTitle: String { t("反映诉求", "Report an issue") }
    public var category: String { t("类别", "Category") }
    public var urgency: String { t("紧急程度", "Urgency") }
    public var issueTitleField: String { t("标题", "Title") }
    public var descriptionField: String { t("情况描述", "Description") }
    public var submit: String { t("提交", "Submit") }
    public var reportSaved: String { t("诉求已上报，将自动同步", "Issue reported; it will sync automatically") }
    public var onSpotNoteField: String { t("就地解决情况", "What was done on the spot") }
    public var submitResolvedOnSpot: String { t("已就地解决，提交", "Resolved on the spot: submit") }
    public var onSpotSaved: String { t("已按就地解决上报，待乡镇回访核实，将自动同步", "Reported as resolved on the spot; the township will verify it. It will sync automatically") }
    // ---- issue page and triage
    // ---- branch secretary (支部书记): home
    public var branchQueueSection: String { t("本村待办诉求", "Issues at the village branch") }

    public var triageTitle: String { t("诉求受理", "Triage queue") }
    public var timeline: String { t("办理过程", "Timeline") }
    public var actions: String { t("可进行的操作", "What you can do") }
    public var noActions: String { t("当前没有您可进行的操作", "Nothing for you to do now") }
    public var pendingSync: String { t("待同步", "not yet synced") }
    public var reasonField: String { t("原因", "Reason") }
    public var noteField: String { t("说明", "Note") }
    /// A person in a picker: 董梅彩（网格员 · 石堡村党支部）.
    public func personChoice(_ name: String, _ roleLabel: String, _ nodeName: String) -> String {
        t("\(name)（\(roleLabel) · \(nodeName)）", "\(name) (\(roleLabel), \(nodeName))")
    }
    public var photos: String { t("照片", "Photos") }
    public var suspendedBadge: String { t("挂起", "Suspended") }
    public var overdueBadge: String { t("超期", "Overdue") }
    public var resolvedOnSpotBadge: String { t("就地解决", "Resolved on the spot") }
    public var openHousehold: String { t("查看住户", "Open household") }
    public var myIssuesSection: String { t("我提交的诉求", "Issues I submitted") }
    // ---- directives
    public var directivesTitle: String { t("指令", "Directives") }
    public var acknowledge: String { t("签收", "Acknowledge") }
    public var relay: String { t("转发下级", "Relay down") }
    public var acknowledged: String { t("已签收", "Acknowledged") }
    public var relayed: String { t("已转发", "Relayed") }
    public var overdue: String { t("已超时", "Overdue") }
    public var recordAck: String { t("登记告知方式", "Record how they were told") }
    public var recordedThisSession: String { t("已登记", "Recorded") }
    public var coverage: String { t("签收情况", "Acknowledgement coverage") }
    public var silentNodes: String { t("尚未签收", "Not yet acknowledged") }
    public func silentTotal(_ n: UInt64) -> String { t("尚未签收 \(n) 个", "\(n) not yet acknowledged") }
    /// How a household was told: 电话 · 12月2日 08:30 · 马荣.
    public func ackRecorded(_ meansLabel: String, _ whenText: String, _ by: String) -> String { "\(meansLabel) · \(whenText) · \(by)" }
    public var untold: String { t("尚未告知", "Not told yet") }
    public var myHouseholds: String { t("本组住户", "Households of my group") }
    public var reportCompletion: String { t("上报完成情况", "Report completion") }
    public var completionNoteField: String { t("完成情况", "What was done") }
    public var completed: String { t("已完成", "Completed") }
    // ---- errors: the core words every ApiError (`describe`); only a failure outside the core is ours
    public var errUnexpected: String { t("发生意外错误", "Something went wrong") }
    public var errUnexpectedNext: String { t("请重试；如果反复出现，请重启应用", "Try again; if it repeats, restart the app") }
    public var details: String { t("详情", "Details") }
    public var waitingForFreshFix: String { t("正在获取当前位置（不使用旧位置）…", "Getting your current position (old positions are not used)…") }
    public func fixAge(_ seconds: Int64) -> String { t("定位于 \(seconds) 秒前", "Fix taken \(seconds) s ago") }
    // ---- location permission and GPS state (what the platform reports; the core grades the fixes)
    public func locationProblem(_ p: LocationProblem) -> String {
        switch p {
        case .denied: return t("未允许使用位置信息，走访将记为「无定位」。请在系统设置中允许本应用使用位置信息", "Location permission denied: visits are recorded without a position. Allow location for this app in the system settings")
        case .approximateOnly: return t("只允许了大致位置，无法核验是否在现场。请在系统设置中开启「精确位置」", "Only approximate location is allowed, so being on site cannot be checked. Turn on precise location in the system settings")
        case .gpsOff: return t("手机定位（GPS）已关闭，请在下拉菜单或系统设置中打开", "GPS is switched off: turn it on in the quick settings or system settings")
        }
    }

    // ---- formatted words
    public func pending(_ n: Int64) -> String { t("待同步 \(n) 条", "\(n) waiting to sync") }
    public func lastSync(_ whenText: String) -> String { t("上次同步：\(whenText)", "Last sync: \(whenText)") }
    public func lastSyncFailed(_ reason: String) -> String { t("上次同步失败：\(reason)", "Last sync failed: \(reason)") }
    public func quarantined(_ n: Int64) -> String { t("\(n) 条被服务器退回", "\(n) refused by the server") }
    public func phase(_ p: SyncPhase) -> String {
        switch p {
        case .push: return t("上传更改", "Sending changes")
        case .upload: return t("上传照片", "Uploading photos")
        case .pull: return t("下载更新", "Receiving updates")
        case .households: return t("保存户数据", "Storing households")
        }
    }
    public func progress(_ p: SyncPhase, _ done: UInt64, _ total: UInt64) -> String { "\(phase(p)) \(done)/\(total)" }
    public func minutesAgo(_ n: Int64) -> String { t("\(n) 分钟前", "\(n) min ago") }
    public func hoursAgo(_ n: Int64) -> String { t("\(n) 小时前", "\(n) h ago") }
    public func daysAgo(_ n: Int64) -> String { t("\(n) 天前", "\(n) days ago") }
    public func dueBy(_ dateTime: String) -> String { t("限 \(dateTime) 前", "due \(dateTime)") }
    public func metres(_ m: Int64) -> String { t("\(m) 米", "\(m) m") }
    public func kilometres(_ km: String) -> String { t("\(km) 公里", "\(km) km") }
    public func accuracy(_ m: Int64) -> String { t("定位精度 ±\(m) 米", "GPS accuracy ±\(m) m") }
    public func distanceToHousehold(_ d: String) -> String { t("距住户 \(d)", "\(d) from the household") }
    public func daysOverdue(_ n: Int64) -> String { t("逾期 \(n) 天", "\(n) days overdue") }
    public func members(_ n: UInt32) -> String { t("\(n) 口人", "\(n) members") }
    public func lastOnSite(_ whenText: String) -> String { t("上次在现场走访：\(whenText)", "Last on-site visit: \(whenText)") }
    public func photoCount(_ n: Int) -> String { t("照片 \(n) 张", "\(n) photos") }
    public func continueDrafts(_ n: Int) -> String { t("继续填写（\(n)）", "Continue (\(n))") }
    public var draftsTitle: String { t("继续填写", "Unfinished forms") }
    public var discardDraft: String { t("不要了", "Throw away") }
    public var draftKept: String { t("已保存为草稿，可在“继续填写”里接着填", "Saved as a draft; continue it from the list of unfinished forms") }
    public func rework(_ n: UInt32) -> String { t("返工 \(n) 次", "reworked \(n)×") }
    public func escalated(_ n: UInt32) -> String { t("上报上级 \(n) 次", "escalated \(n)×") }
    public func householdsAcked(_ a: UInt32, _ total: UInt32) -> String { t("已告知 \(a)/\(total) 户", "\(a) of \(total) households told") }
    public func issuedBy(_ name: String) -> String { t("发布：\(name)", "From \(name)") }
    public func extensionPending(_ days: UInt32) -> String { t("延期待批 \(days)天", "Extension pending: \(days) working days") }
    public func completedAt(_ whenText: String) -> String { t("已于 \(whenText) 报告完成", "Reported done \(whenText)") }
    public func tasksCompleted(_ n: UInt32) -> String { t("已报告完成 \(n) 个", "\(n) reported done") }

    // ---- vocabulary the core leaves unlabelled on these paths
    public func category(_ c: IssueCategory) -> String {
        switch c {
        case .infrastructure: return t("基础设施", "Infrastructure")
        case .dispute: return t("矛盾纠纷", "Dispute")
        case .livelihoodAid: return t("民生救助", "Livelihood aid")
        case .safetyHazard: return t("安全隐患", "Safety hazard")
        case .sanitation: return t("环境卫生", "Sanitation")
        case .forestFire: return t("护林防火", "Forest fire prevention")
        case .petition: return t("信访", "Petition")
        case .policyConsultation: return t("政策咨询", "Policy question")
        case .other: return t("其他", "Other")
        }
    }
    public func urgency(_ u: Urgency) -> String {
        switch u {
        case .normal: return t("一般", "Normal")
        case .urgent: return t("紧急", "Urgent")
        case .critical: return t("特急", "Critical")
        }
    }
    public func visitKind(_ k: VisitKind) -> String {
        switch k {
        case .routine: return t("常规走访", "Routine visit")
        case .returnVisit: return t("回访", "Return visit")
        case .petitionVisit: return t("下访/约访", "Petition visit")
        case .emergencyCheck: return t("应急排查", "Emergency check")
        }
    }
    public func directiveKind(_ k: DirectiveKind) -> String {
        switch k {
        case .notice: return t("通知", "Notice")
        case .alert: return t("预警", "Alert")
        case .task: return t("任务", "Task")
        }
    }
    /// The composer's first target: the user's whole area.
    public func wholeArea(_ nodeName: String) -> String { t("全部（\(nodeName)）", "All of \(nodeName)") }
    public var targetField: String { t("下达范围", "Send to") }
    public var directiveSent: String { t("指令已下达", "Directive sent") }
    public func ackMeans(_ m: AckMeans) -> String {
        switch m {
        case .visit: return t("入户", "Visit")
        case .phone: return t("电话", "Phone")
        case .inPerson: return t("当面", "In person")
        }
    }
    public func light(_ l: Light) -> String {
        switch l {
        case .green: return t("正常", "On time")
        case .yellow: return t("临期", "Due soon")
        case .red: return t("超期", "Overdue")
        case .none: return ""
        }
    }

    // ---- errors

    /// Names of the input fields the core's `InvalidInput.field` refers to.
}

/// What the platform says about location access, shown on the visit and report forms.
public enum LocationProblem: Sendable { case denied, approximateOnly, gpsOff }
