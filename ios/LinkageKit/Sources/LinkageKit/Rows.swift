import Foundation

// Row models: core records turned into the strings a list row shows (mirrors the Kotlin shell's Rows.kt).

public struct IssueRow: Identifiable, Equatable {
    public let id: String
    public let title: String
    public let subtitle: String
    public let stateLabel: String
    public let light: Light
    public let lightLabel: String
    public let dueText: String?
    public let urgent: Bool
    /// 黄牌督办, 挂起, 延期待批 N天, 超期, 就地解决 (see `IssueSummary.badges`).
    public let badges: [String]
}

extension IssueSummary {
    public func toRow(_ s: Strings, _ f: Format) -> IssueRow {
        IssueRow(id: id, title: title, subtitle: "\(categoryLabel) · \(urgencyLabel)", stateLabel: stateLabel,
                 light: light, lightLabel: s.light(light), dueText: f.due(dueAtMs), urgent: urgency != .normal,
                 badges: badges(s))
    }
}

public struct HouseholdRow: Identifiable, Equatable {
    public let id: String
    public let headName: String
    public let subtitle: String
    public let tags: [String]
    public let risk: RiskLevel
    public let riskLabel: String
}

extension HouseholdSummary {
    public func toRow() -> HouseholdRow {
        HouseholdRow(id: id, headName: headName, subtitle: "\(address) · \(groupName)", tags: tags, risk: riskLevel, riskLabel: riskLabel)
    }
}

public struct OverdueRow: Identifiable, Equatable {
    public var id: String { household.id }
    public let household: HouseholdRow
    public let overdueText: String
    public let distanceText: String?
}

extension OverdueHousehold {
    public func toRow(_ s: Strings, _ f: Format) -> OverdueRow {
        OverdueRow(household: household.toRow(),
                   overdueText: daysOverdue.map { s.daysOverdue($0) } ?? s.neverVisited,
                   distanceText: distanceM.map { f.distance($0) })
    }
}

public struct VisitRow: Identifiable, Equatable {
    public let id: String
    public let kindLabel: String
    public let whenText: String
    public let verdictLabel: String
    public let onSite: Bool
    public let notes: String
    public let photosText: String
    public let photoCount: Int
    /// The visit's photos once loaded (thumbnails; a colleague's downloaded by the core).
    public var photos: [PhotoView] = []
}

extension VisitSummary {
    public func toRow(_ s: Strings, _ f: Format) -> VisitRow {
        VisitRow(id: id, kindLabel: kindLabel, whenText: f.dateTime(startedAtMs), verdictLabel: verdictLabel,
                 onSite: verdict == .onSite, notes: notes, photosText: s.photoCount(evidence.count), photoCount: evidence.count)
    }
}

public struct DirectiveRow: Identifiable, Equatable {
    public let id: String
    public let kindLabel: String
    public let title: String
    public let body: String
    public let issuerText: String?
    public let issuedText: String
    public let dueText: String?
    public let overdue: Bool
    public let acknowledged: Bool
    public let relayed: Bool
    public let householdsText: String?
    public let isTask: Bool
    /// 已于 … 报告完成, once my node reported the task done.
    public let completedText: String?
    /// The buttons shown: the steps the core's directive rules leave open to me (签收, 转发, 上报完成情况).
    public let showAcknowledge: Bool
    public let showRelay: Bool
    public let showReportCompletion: Bool
    /// 上级已催办 (…), while my node has not signed for it.
    public var remindedText: String? = nil
    /// 完成情况：待审核 / 已通过 (my node's report), or why it was sent back.
    public var reportStatusText: String? = nil
    public var returnedText: String? = nil
    /// 待审核 N 份 (the issuing node's reports to review).
    public var reportsWaitingText: String? = nil
    /// The issuer's photos (evidence hashes).
    public var photoHashes: [String] = []
    /// What 朗读 reads: kind, title and the full text.
    public var readAloudText: String = ""
}

extension DirectiveSummary {
    public func toRow(_ s: Strings, _ f: Format) -> DirectiveRow {
        DirectiveRow(id: id, kindLabel: kindLabel, title: title, body: body, issuerText: issuerName.map { s.issuedBy($0) },
                     issuedText: f.dateTime(issuedAtMs), dueText: f.due(dueAtMs), overdue: overdue,
                     acknowledged: acknowledgedAtMs != nil, relayed: relayedAtMs != nil,
                     householdsText: householdsTotal > 0 ? s.householdsAcked(householdsAcknowledged, householdsTotal) : nil,
                     isTask: kind == .task, completedText: completedAtMs.map { s.completedAt(f.dateTime($0)) },
                     showAcknowledge: canAcknowledge, showRelay: canRelay, showReportCompletion: canReportCompletion,
                     remindedText: remindedAtMs.map { s.youWereReminded(f.dateTime($0)) },
                     reportStatusText: reportReturnReason == nil ? reportStatusLabel.map { s.reportStatus($0) } : nil,
                     returnedText: reportReturnReason.map { s.reportReturned($0) },
                     reportsWaitingText: reportsWaiting > 0 ? s.reportsWaiting(reportsWaiting) : nil,
                     photoHashes: evidence,
                     readAloudText: "\(kindLabel)。\(title)。\(body)")
    }
}

/// A choice in a picker.
public struct Option<T: Hashable>: Identifiable, Hashable {
    public var id: T { value }
    public let value: T
    public let label: String
}

/// Live GPS as the forms show it, with what the platform says about location access; grading is the core's.
public struct GpsView: Equatable {
    public let text: String
    public let mockWarning: String?
    public let problem: String?

    public init(_ fix: GpsFix?, _ s: Strings, _ f: Format, problem: LocationProblem? = nil) {
        if let fix {
            text = f.accuracy(fix.accuracyM)
            mockWarning = fix.mocked ? s.mockLocation : nil
        } else {
            text = problem == nil ? s.waitingForFreshFix : s.locating
            mockWarning = nil
        }
        self.problem = problem.map { s.locationProblem($0) }
    }
}

/// The core's live verdict for the visit form (`FieldApp.previewVerdict`). Mirrors the Kotlin `VerdictView`.
public struct VerdictView: Equatable {
    public let verdict: OnSiteVerdict
    public let label: String
    public let advice: String
    public let onSite: Bool
    public let distanceText: String?
    public let fixAgeText: String?
}

public struct PhotoThumb: Identifiable, Equatable {
    public var id: String { hash }
    public let hash: String
    public let thumbnailPath: String
    public let watermark: String
}

extension EvidenceSummary {
    public func toThumb() -> PhotoThumb { PhotoThumb(hash: hash, thumbnailPath: thumbnailPath, watermark: watermark) }
}
