import XCTest
@testable import LinkageKit

/// Pure tests of the shell glue that need no database (run with `swift test` on a Mac, or in Xcode).
/// The core-backed presenter tests run on the Linux host in Kotlin (scripts/test-shells.sh).
final class StringsTests: XCTestCase {
    func testIllegalTransitionMessageNamesStateAndAction() {
        let e = ApiError.IllegalTransition(from: .accepted, action: .accept).toUiError(Strings(.zhCN))
        XCTAssertEqual(e.message, "诉求当前为「受理」，不能「受理」，请刷新后再试")
        XCTAssertEqual(e.action, .retry)
    }

    func testBadPhotoAsksForARetake() {
        let e = ApiError.BadPhoto(problem: .notAnImage, detail: "x").toUiError(Strings(.zhCN))
        XCTAssertEqual(e.message, "所选文件不是照片")
        XCTAssertEqual(e.action, .retakePhoto)
    }

    func testLanguageTagRule() {
        XCTAssertEqual(Lang.fromTag("zh-Hans-CN"), .zhCN)
        XCTAssertEqual(Lang.fromTag("en-US"), .en)
    }

    func testProgressText() {
        XCTAssertEqual(Strings(.zhCN).progress(.push, 3, 10), "上传更改 3/10")
        XCTAssertEqual(Strings(.en).pending(2), "2 waiting to sync")
    }

    func testActionInputsBuildCommands() {
        XCTAssertEqual(IssueActionKind.supervise.command(ActionForm(text: "限期办结", level: .red)),
                       .supervise(level: .red, note: "限期办结"))
        XCTAssertNil(IssueActionKind.supervise.command(ActionForm(text: "限期办结")))
        XCTAssertEqual(IssueActionKind.requestExtension.command(ActionForm(text: "材料未齐", workingDays: 5)),
                       .requestExtension(workingDays: 5, reason: "材料未齐"))
        XCTAssertEqual(IssueActionKind.decideExtension.command(ActionForm(approved: false)), .decideExtension(approved: false, note: ""))
        XCTAssertEqual(IssueActionKind.resume.command(ActionForm()), .resume)
        XCTAssertNil(IssueActionKind.resolveOnSpot.command(ActionForm(text: "x")))
        XCTAssertFalse(IssueActionKind.markOverdue.isButton)
        XCTAssertEqual(Strings(.zhCN).extensionPending(5), "延期待批 5天")
        XCTAssertEqual(Strings(.zhCN).supervision(.yellow), "黄牌督办")
    }
}
