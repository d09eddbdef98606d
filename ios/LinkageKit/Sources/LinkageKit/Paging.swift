import Foundation

/// A page of a core list (`IssuePage`, `OverduePage`): its items, how many there are in all, and where the next
/// page starts (nil: this is the last). The generated records already have exactly these fields.
public protocol CorePage {
    associatedtype Item
    var items: [Item] { get }
    var total: UInt64 { get }
    var nextOffset: UInt32? { get }
}

extension IssuePage: CorePage {}
extension OverduePage: CorePage {}

/// The rows of a paged list as a screen shows them ("加载更多" while `nextOffset` is set): the one bookkeeping of
/// the paged view models (triage queue, overview, households due). The first page replaces the rows, the next
/// ones append; a failed page keeps what is shown. Mirrors the Kotlin presenters' page handling.
public struct PagedRows<Row> {
    public private(set) var rows: [Row] = []
    public private(set) var total: UInt64 = 0
    public private(set) var nextOffset: UInt32?

    public init() {}

    /// Takes the outcome of one page's core call: on success its items made into rows (`replace`: the first
    /// page, replacing; else appended), its total and next offset; on failure nothing changes and the error is
    /// returned for the view model to show.
    public mutating func take<P: CorePage>(_ outcome: Outcome<P>, replace: Bool, _ row: (P.Item) -> Row) -> UiError? {
        switch outcome {
        case let .ok(page):
            let more = page.items.map(row)
            rows = replace ? more : rows + more
            total = page.total
            nextOffset = page.nextOffset
            return nil
        case let .failed(e):
            return e
        }
    }
}
