import LinkageKit
import SwiftUI

extension Light {
    var color: Color {
        switch self {
        case .green: return Color(red: 0.18, green: 0.49, blue: 0.20)
        case .yellow: return Color(red: 0.98, green: 0.66, blue: 0.15)
        case .red: return Color(red: 0.78, green: 0.16, blue: 0.16)
        case .none: return .clear
        }
    }
}

struct ErrorBanner: View {
    let error: UiError?
    let s: Strings
    var onRetry: (() -> Void)?

    var body: some View {
        if let error {
            VStack(alignment: .leading, spacing: 2) {
                Text(error.message).font(.subheadline.bold())
                if let next = error.nextStep { Text(next).font(.subheadline) }
                // Technical detail only behind 详情.
                if let detail = error.detail {
                    DisclosureGroup(s.details) { Text(detail).font(.caption) }
                }
                if error.action == .retry, let onRetry { Button(s.retry, action: onRetry) }
            }
            .foregroundColor(.red)
        }
    }
}

struct IssueRowView: View {
    let row: IssueRow

    var body: some View {
        HStack {
            Circle().fill(row.light.color).frame(width: 12, height: 12)
            VStack(alignment: .leading) {
                Text(row.title).font(row.urgent ? .body.bold() : .body).lineLimit(1)
                Text(row.subtitle).font(.caption)
                if let due = row.dueText { Text("\(due) · \(row.lightLabel)").font(.caption).foregroundColor(row.light.color) }
                BadgesView(badges: row.badges)
            }
            Spacer()
            Text(row.stateLabel).font(.caption)
        }
    }
}

/// An issue's badges (黄牌督办, 挂起, 延期待批 N天, 超期, 就地解决), as the view models worded them.
struct BadgesView: View {
    let badges: [String]

    var body: some View {
        if !badges.isEmpty {
            HStack(spacing: 6) {
                ForEach(badges, id: \.self) { b in
                    Text(b).font(.caption2).padding(.horizontal, 4).background(Color.red.opacity(0.15)).foregroundColor(.red)
                }
            }
        }
    }
}

struct HouseholdRowView: View {
    let row: HouseholdRow
    var trailing: String?

    var body: some View {
        HStack {
            VStack(alignment: .leading) {
                Text(row.headName)
                Text(row.subtitle).font(.caption)
                Text((row.tags + [row.riskLabel]).joined(separator: " · ")).font(.caption2).foregroundColor(.secondary)
            }
            Spacer()
            if let trailing { Text(trailing).font(.caption).multilineTextAlignment(.trailing) }
        }
    }
}

struct DirectiveRowView: View {
    let row: DirectiveRow
    let s: Strings
    var onAcknowledge: (() -> Void)?
    var onRelay: (() -> Void)?

    var body: some View {
        VStack(alignment: .leading, spacing: 2) {
            Text("【\(row.kindLabel)】\(row.title)").foregroundColor(row.overdue ? .red : .primary)
            Text(row.body).font(.caption).lineLimit(2)
            let status: String? = row.relayed ? s.relayed : (row.acknowledged ? s.acknowledged : nil)
            let meta = [row.issuerText, row.issuedText, row.dueText, row.householdsText, row.overdue ? s.overdue : nil, status,
                        row.completedText]
            Text(meta.compactMap { $0 }.joined(separator: " · ")).font(.caption2)
            HStack {
                if row.showAcknowledge, let onAcknowledge { Button(s.acknowledge, action: onAcknowledge).buttonStyle(.bordered) }
                if row.showRelay, let onRelay { Button(s.relay, action: onRelay).buttonStyle(.bordered) }
            }
        }
    }
}

struct PhotoStrip: View {
    let photos: [PhotoThumb]

    var body: some View {
        ScrollView(.horizontal) {
            HStack {
                ForEach(photos) { p in
                    if let image = UIImage(contentsOfFile: p.thumbnailPath) {
                        Image(uiImage: image).resizable().scaledToFill().frame(width: 96, height: 96).clipped()
                            .accessibilityLabel(p.watermark)
                    }
                }
            }
        }
    }
}

/// The photos of a record (a colleague's fetched by the core): the thumbnail, or why it cannot be shown; a tap
/// opens it at full size.
struct RecordPhotoStrip: View {
    let photos: [PhotoView]
    let onOpen: (String) -> Void

    var body: some View {
        ScrollView(.horizontal) {
            HStack {
                ForEach(photos) { p in
                    if let path = p.thumbnailPath, let image = UIImage(contentsOfFile: path) {
                        Image(uiImage: image).resizable().scaledToFill().frame(width: 96, height: 96).clipped()
                            .onTapGesture { onOpen(p.hash) }
                    } else if let why = p.unavailableText {
                        Text(why).font(.caption).frame(width: 96, height: 96)
                    }
                }
            }
        }
    }
}
