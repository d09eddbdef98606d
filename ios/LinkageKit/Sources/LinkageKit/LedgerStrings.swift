import Foundation

// The words of the household search, correction, place report and settings screens (zh-CN first, English
// second): the same table, word for word, as android/shell/src/main/kotlin/cn/linkage/shell/LedgerStrings.kt.
extension Strings {
    private func tt(_ zh: String, _ en: String) -> String { lang == .zhCN ? zh : en }

    // ---- household search (民生台账)
    public var householdsTitle: String { tt("民生台账", "Households") }
    public var searchByName: String { tt("户主姓名", "Head of household") }
    public var searchByAddress: String { tt("住址包含", "Address contains") }
    public var search: String { tt("查找", "Search") }
    public func householdsFound(_ shown: Int, _ total: Int64) -> String { tt("共 \(total) 户，已显示 \(shown) 户", "\(total) households, \(shown) shown") }
    public func tagWithCount(_ tag: String, _ n: UInt64) -> String { tt("\(tag)（\(n)）", "\(tag) (\(n))") }
    public func visitsCount(_ shown: Int, _ total: Int64) -> String { tt("走访记录（\(shown) / \(total)）", "Visits (\(shown) of \(total))") }
    public func issuesCount(_ shown: Int, _ total: Int64) -> String { tt("诉求（\(shown) / \(total)）", "Issues (\(shown) of \(total))") }
    public var correctHousehold: String { tt("更正信息", "Correct details") }

    // ---- household correction (台账更正)
    public var correctionTitle: String { tt("更正户信息", "Correct household details") }
    public var newPhone: String { tt("新的联系电话", "New phone number") }
    public func currentPhone(_ masked: String?) -> String { tt("现在：\(masked ?? "未登记")", "Now: \(masked ?? "none")") }
    public var membersLabel: String { tt("家庭人口", "Household members") }
    public var fewer: String { tt("减一人", "One fewer") }
    public var moreMembers: String { tt("加一人", "One more") }
    public var tagsLabel: String { tt("重点人群标签（点一下选中或取消）", "Tags (tap to add or remove)") }
    public var newTag: String { tt("新标签", "New tag") }
    public var addTag: String { tt("添加标签", "Add tag") }
    public var houseIsHere: String { tt("房屋位置就在这里", "The house is here") }
    public var houseIsHereHint: String { tt("站在房屋门口，定位精确后再点", "Stand at the door; tap once the fix is precise") }
    public func pointSet(_ lat: Double, _ lon: Double) -> String {
        tt(String(format: "房屋位置：北纬 %.5f，东经 %.5f", lat, lon), String(format: "House point: %.5f, %.5f", lat, lon))
    }
    public var noPoint: String { tt("还没有房屋位置", "No house point yet") }
    public var saveCorrection: String { tt("保存更正", "Save corrections") }
    public var correctionSaved: String { tt("已保存，联网后自动同步", "Saved; it syncs when online") }
    public var pointSaved: String { tt("房屋位置已更新，联网后自动同步", "House point updated; it syncs when online") }
    public var nothingChanged: String { tt("没有要保存的更改", "Nothing to save") }

    // ---- reports about a place, duplicates (无户诉求、重复提示)
    public var reportPlaceTitle: String { tt("上报现场问题（无具体住户）", "Report a place (no household)") }
    public var placeDescription: String { tt("地点和情况说明（如：后山松树林冒烟）", "Where and what (e.g. smoke in the pine wood behind the hill)") }
    public var duplicatesTitle: String { tt("附近已有相似诉求，是其中一件吗？", "Similar reports nearby: is it one of these?") }
    public var sameIssue: String { tt("是这件，不重复上报", "Yes, this one: don't report again") }
    public func metresAway(_ m: Double) -> String { tt("相距 \(Int(m)) 米", "\(Int(m)) m away") }
    public var joinedExisting: String { tt("没有重复上报，已打开这件诉求", "Not reported twice: this is the existing issue") }

    // ---- settings (设置)
    public var settingsTitle: String { tt("设置", "Settings") }
    public var textSize: String { tt("字体大小（大字模式）", "Text size") }
    public var language: String { tt("语言", "Language") }
    public var languageAfterRestart: String { tt("重新打开应用后全部生效", "Takes full effect when the app is reopened") }
    public var serverAddress: String { tt("服务器地址", "Server address") }
    public var notEnrolled: String { tt("尚未登录", "Not signed in") }
    public var backgroundSync: String { tt("后台同步设置说明", "Keep sync running in the background") }
}
