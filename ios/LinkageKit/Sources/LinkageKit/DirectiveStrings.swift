import Foundation

// The directive screens' own words (指令下达: composer, 朗读, 催办, 任务完成情况审核), zh-CN first, English second;
// the same table as android/shell/.../DirectiveStrings.kt. Records' labels come from the core.
extension Strings {
    private func d(_ zh: String, _ en: String) -> String { lang == .zhCN ? zh : en }

    public var composeDirective: String { d("下达指令", "New directive") }
    public var kindField: String { d("类型", "Kind") }
    public var titleField: String { d("标题", "Title") }
    public var bodyField: String { d("正文（全文）", "Full text") }
    public var dueField: String { d("办结时限", "Due") }
    public var noDue: String { d("不设时限", "No due time") }
    public func dueInHours(_ h: UInt32) -> String { h % 24 == 0 ? d("\(h / 24) 天内", "within \(h / 24) d") : d("\(h) 小时内", "within \(h) h") }
    public var addPhoto: String { d("添加照片", "Add photo") }
    public var sendDirective: String { d("下达", "Send") }
    public var readAloud: String { d("朗读", "Read aloud") }
    public var remindSilent: String { d("一键催办", "Remind all") }
    public var remindOne: String { d("催办", "Remind") }
    public func remindedAt(_ when: String) -> String { d("已催办 \(when)", "Reminded \(when)") }
    public func remindedCount(_ n: UInt32) -> String { n == 0 ? d("没有需要催办的单位", "Nobody to remind") : d("已向 \(n) 个单位发出催办", "Reminder sent to \(n) unit(s)") }
    public func youWereReminded(_ when: String) -> String { d("上级已催办（\(when)），请尽快签收", "Reminded by the level above (\(when)): please acknowledge") }
    public var allAcknowledged: String { d("全部已签收，没有未签收的单位", "Everyone has acknowledged") }
    /// One level's line; the percent text comes from the core (`LevelCoverage.percentText`).
    public func levelCoverage(_ level: String, _ a: UInt32, _ total: UInt32, _ percentText: String) -> String {
        d("\(level) \(a)/\(total)（\(percentText)）", "\(level) \(a)/\(total) (\(percentText))")
    }
    public var silentChildren: String { d("逾期未签收的下级", "Units below me past their window") }
    public func silentFor(_ title: String, _ hours: Int64) -> String { d("「\(title)」逾期 \(hours) 小时", "“\(title)”: \(hours) h overdue") }
    public var taskReports: String { d("完成情况", "Completion reports") }
    public func reportsWaiting(_ n: UInt32) -> String { d("待审核 \(n) 份", "\(n) waiting for review") }
    public var accept: String { d("通过", "Accept") }
    public var sendBack: String { d("退回", "Send back") }
    public var sendBackReason: String { d("退回原因", "Why it is sent back") }
    public var confirmSendBack: String { d("确认退回", "Send back") }
    public var cancel: String { d("取消", "Cancel") }
    public func reportReturned(_ reason: String) -> String { d("已退回：\(reason)。请重新上报", "Sent back: \(reason). Report again") }
    public func reportStatus(_ label: String) -> String { d("完成情况：\(label)", "Report: \(label)") }
}
