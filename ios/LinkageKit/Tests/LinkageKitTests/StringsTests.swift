import XCTest
@testable import LinkageKit

/// Pure tests of the shell glue that need no database (run with `swift test` on a Mac, or in Xcode).
/// The core-backed presenter tests run on the Linux host in Kotlin (scripts/test-shells.sh).
final class StringsTests: XCTestCase {
    func testLanguageTagRule() {
        XCTAssertEqual(Lang.fromTag("zh-Hans-CN"), .zhCN)
        XCTAssertEqual(Lang.fromTag("en-US"), .en)
    }

    func testProgressText() {
        XCTAssertEqual(Strings(.zhCN).progress(.push, 3, 10), "上传更改 3/10")
        XCTAssertEqual(Strings(.en).pending(2), "2 waiting to sync")
    }

    func testLocationProblemsAreSaid() {
        XCTAssertTrue(Strings(.zhCN).locationProblem(.approximateOnly).contains("精确位置"))
        XCTAssertEqual(Strings(.zhCN).extensionPending(5), "延期待批 5天")
    }
}
