//! What a user reads when something goes wrong (出错提示): every public error and every operation the server
//! refused, in plain zh-CN (English fallback) — what happened and what to do next — with the technical text
//! only as the "详情" detail. One table for both shells, so neither keeps its own error words.

use linkage_protocol::labels::{self, Label, Locale};
use linkage_protocol::rules::Denial;
use linkage_protocol::sync::RejectCode;
use linkage_protocol::wire::from_unit_name;

use crate::error::{ApiError, ErrorAction, ErrorCode, ErrorMessage, PhotoProblem};

fn msg(code: ErrorCode, message: String, next_step: &str, detail: String, action: ErrorAction) -> ErrorMessage {
    ErrorMessage { code: code.as_str().into(), message, next_step: next_step.into(), detail, action }
}

/// The user's words for an input field the core names in `InvalidInput.field`; unknown names get a general
/// word (the name itself stays in the detail).
pub fn field_label(field: &str, l: Locale) -> &'static str {
    let (zh, en) = match field {
        "title" => ("标题", "Title"),
        "description" => ("情况描述", "Description"),
        "notes" => ("民情日记", "Notes"),
        "reason" => ("原因", "Reason"),
        "note" => ("说明", "Note"),
        "assignee_id" => ("承办人", "Assignee"),
        "into_issue_id" => ("合并到的诉求", "Issue to merge into"),
        "working_days" => ("延期天数", "Extra working days"),
        "satisfaction" => ("群众满意度", "Resident's satisfaction"),
        "level" => ("督办级别", "Supervision level"),
        "approved" => ("审批意见", "Decision"),
        "evidence" => ("照片", "Photos"),
        "lat" | "lon" | "accuracy_m" | "fix" | "location" => ("定位", "GPS position"),
        "fix_time_ms" => ("定位时间", "GPS fix time"),
        "started_at_ms" | "ended_at_ms" => ("走访时间", "Visit time"),
        "due_at_ms" => ("截止时间", "Due time"),
        "server_url" => ("服务器地址", "Server URL"),
        "user_id" => ("账号", "User ID"),
        "password" => ("密码", "Password"),
        "new_password" => ("新密码", "New password"),
        "household_id" => ("住户", "Household"),
        "node_id" | "target_node_id" => ("组织", "Unit"),
        "bundle" | "json" | "path" | "db_path" => ("数据文件", "Data file"),
        "answer" => ("答案", "Answer"),
        "repeat" => ("重复填写的条目", "Repeated entry"),
        "form" | "form_version" => ("问卷", "Form"),
        "page" => ("页码", "Page"),
        "visit_id" => ("走访记录", "Visit"),
        _ => ("填写的内容", "The input"),
    };
    l.pick(zh, en)
}

fn photo_message(p: PhotoProblem, l: Locale) -> (&'static str, &'static str) {
    match p {
        PhotoProblem::Unreadable => (l.pick("照片无法读取", "The photo cannot be read"), l.pick("请重新拍照", "Take it again")),
        PhotoProblem::TooLarge => (l.pick("照片文件过大", "The photo file is too large"), l.pick("请重新拍照", "Take it again")),
        PhotoProblem::Truncated => (l.pick("照片不完整", "The photo is incomplete"), l.pick("请重新拍照", "Take it again")),
        PhotoProblem::NotAnImage => (l.pick("所选文件不是照片", "That file is not a photo"), l.pick("请选择一张照片", "Pick a photo")),
        PhotoProblem::UnsupportedFormat => {
            (l.pick("不支持这种图片格式", "Unsupported image format"), l.pick("请用相机重新拍照（JPEG 或 PNG）", "Take it with the camera (JPEG or PNG)"))
        }
        PhotoProblem::TooManyPixels => (l.pick("照片尺寸过大", "The image is too large"), l.pick("请用相机重新拍照", "Take it with the camera")),
        PhotoProblem::Corrupt => (l.pick("照片已损坏", "The photo is damaged"), l.pick("请重新拍照", "Take it again")),
    }
}

/// The user's words for a public error (see [`ApiError::describe`]).
pub fn describe(e: &ApiError, l: Locale) -> ErrorMessage {
    let code = e.code();
    match e {
        ApiError::NotSignedIn => msg(code, l.pick("尚未登录", "Not signed in").into(), l.pick("请先登录", "Please sign in"), String::new(), ErrorAction::SignIn),
        ApiError::NotFound { entity, id } => msg(
            code,
            l.pick("找不到这条记录，或它不在您的管辖范围内", "Not found, or outside your area").into(),
            l.pick("请刷新列表；如仍找不到，请同步后再试", "Refresh the list; if it is still missing, sync and try again"),
            format!("{entity} {id}"),
            ErrorAction::Retry,
        ),
        ApiError::NotPermitted { rule, reason } => {
            let message = match (rule.as_str(), Denial::from_code(rule)) {
                (_, Some(d)) => d.label(l),
                ("out_of_scope", None) => l.pick("该记录不在您的管辖范围内", "This record is outside your area"),
                ("no_higher_level", None) => l.pick("县级已是最高层级，无法再上报上级", "The county is the top level; there is no level above"),
                _ => l.pick("您无权进行此操作", "You are not allowed to do this"),
            };
            msg(code, message.into(), labels::denial_next_step(l), reason.clone(), ErrorAction::None)
        }
        ApiError::IllegalTransition { from, action } => msg(
            code,
            match l {
                Locale::ZhCn => format!("诉求当前为「{}」，不能「{}」", from.label(l), action.label(l)),
                Locale::En => format!("The issue is {}: “{}” is not possible now", from.label(l), action.label(l)),
            },
            l.pick("请刷新后查看最新状态", "Refresh to see the latest state"),
            String::new(),
            ErrorAction::Retry,
        ),
        ApiError::OutOfOrder { reason } => msg(
            code,
            l.pick("还不能进行这一步", "Not yet possible").into(),
            l.pick("请按顺序办理：先签收，再转发、登记或上报完成情况", "Take the steps in order: acknowledge first, then relay, record or report"),
            reason.clone(),
            ErrorAction::None,
        ),
        ApiError::InvalidInput { field, reason } => msg(
            code,
            match l {
                Locale::ZhCn => format!("「{}」填写有误", field_label(field, l)),
                Locale::En => format!("Please check “{}”", field_label(field, l)),
            },
            l.pick("请检查后重新填写，未保存任何内容", "Correct it and try again; nothing was saved"),
            format!("{field}: {reason}"),
            ErrorAction::None,
        ),
        ApiError::Conflict { reason } => msg(
            code,
            l.pick("与已保存的记录重复或冲突，本次未做更改", "It repeats or conflicts with a saved record; nothing changed").into(),
            l.pick("无需重复提交，请刷新后查看", "No need to submit again: refresh to check"),
            reason.clone(),
            ErrorAction::None,
        ),
        ApiError::BadPhoto { problem, detail } => {
            let (message, next) = photo_message(*problem, l);
            msg(code, message.into(), next, detail.clone(), ErrorAction::RetakePhoto)
        }
        ApiError::Network { reason } => msg(
            code,
            l.pick("无网络或服务器暂时连不上", "Offline, or the server cannot be reached").into(),
            l.pick("数据已保存在本机，有网络后会自动同步，也可稍后点「立即同步」", "Everything is kept on this phone and syncs when the network is back; or tap Sync later"),
            reason.clone(),
            ErrorAction::Retry,
        ),
        ApiError::AuthRequired { reason } => msg(
            code,
            l.pick("账号或密码不正确，或登录已过期", "Wrong user ID or password, or the sign-in expired").into(),
            l.pick("请重新登录；忘记密码请联系乡镇管理员", "Sign in again; ask your township administrator if you forgot the password"),
            reason.clone(),
            ErrorAction::SignIn,
        ),
        ApiError::DeviceWiped => msg(
            code,
            l.pick("本设备已被停用，本机数据已清除", "This device was revoked and its local data deleted").into(),
            l.pick("如需继续使用，请联系管理员后重新登录", "Ask your administrator, then sign in again"),
            String::new(),
            ErrorAction::SignIn,
        ),
        ApiError::ServerRefused { status, reason } => msg(
            code,
            l.pick("服务器暂时无法处理这个请求", "The server could not handle the request").into(),
            l.pick("数据仍保存在本机，请稍后重试；多次失败请联系县里的系统管理员", "Everything stays on this phone; try again later, and tell the county administrator if it keeps failing"),
            format!("HTTP {status}: {reason}"),
            ErrorAction::Retry,
        ),
        ApiError::Storage { reason } => msg(
            code,
            l.pick("本机存储出错", "Storage failure on this phone").into(),
            l.pick("已保存的数据不受影响，请重试；反复出现请重启应用或清理手机存储空间", "Saved data is safe. Try again; if it repeats, restart the app or free some storage"),
            reason.clone(),
            ErrorAction::Retry,
        ),
        ApiError::WrongKey => msg(
            code,
            l.pick("本机数据无法解密，暂时打不开", "The data on this phone cannot be unlocked").into(),
            l.pick("请不要清除应用数据；重启手机并解锁后再打开应用，仍不行请联系县里的系统管理员", "Do not clear the app's data; restart and unlock the phone, then open the app again, or ask the county administrator"),
            String::new(),
            ErrorAction::Retry,
        ),
        ApiError::RateLimited { retry_after_secs } => msg(
            code,
            match (l, *retry_after_secs) {
                (Locale::ZhCn, 0) => "操作太频繁，请稍后再试".into(),
                (Locale::ZhCn, s) if s < 60 => format!("操作太频繁，请 {s} 秒后再试"),
                (Locale::ZhCn, s) => format!("操作太频繁，请 {} 分钟后再试", s.div_ceil(60)),
                (_, 0) => "Too many attempts; try again shortly".into(),
                (_, s) if s < 60 => format!("Too many attempts; try again in {s} seconds"),
                (_, s) => format!("Too many attempts; try again in {} minutes", s.div_ceil(60)),
            },
            l.pick("数据已保存在本机，不会丢失；如忘记密码请联系乡镇管理员", "Everything stays on this phone; ask your township administrator if you forgot the password"),
            format!("retry after {retry_after_secs} s"),
            ErrorAction::Retry,
        ),
        ApiError::AccountLocked { reason } => msg(
            code,
            l.pick("账号已被锁定或停用", "This account is locked or disabled").into(),
            l.pick("请联系乡镇或县里的系统管理员解锁", "Ask your township or county administrator to unlock it"),
            reason.clone(),
            ErrorAction::None,
        ),
        ApiError::PasswordChangeRequired => msg(
            code,
            l.pick("首次登录需要修改初始密码", "Please change the initial password first").into(),
            l.pick("请设置一个新密码：至少 10 位，包含字母、数字或符号中的两种", "Choose a new password: at least 10 characters, two of letters, digits and symbols"),
            String::new(),
            ErrorAction::SignIn,
        ),
        ApiError::InsecureConnection { host } => msg(
            code,
            l.pick("服务器地址不安全，已拒绝连接", "Unencrypted server address refused").into(),
            l.pick("请使用以 https:// 开头的服务器地址", "Use a server address starting with https://"),
            host.clone(),
            ErrorAction::None,
        ),
    }
}

/// The sync bar's last failure in the user's words, from the stored code and technical text (the error
/// itself is gone by the time the bar is drawn). An unknown code reads as a network failure.
pub fn sync_failure(code: &str, detail: &str, l: Locale) -> ErrorMessage {
    let reason = detail.to_string();
    let e = match code {
        "auth_required" => ApiError::AuthRequired { reason },
        "device_wiped" => ApiError::DeviceWiped,
        "server_refused" => ApiError::ServerRefused { status: 0, reason },
        "storage" => ApiError::Storage { reason },
        "not_signed_in" => ApiError::NotSignedIn,
        "rate_limited" => ApiError::RateLimited { retry_after_secs: 0 },
        "account_locked" => ApiError::AccountLocked { reason },
        _ => ApiError::Network { reason },
    };
    ErrorMessage { detail: detail.to_string(), ..describe(&e, l) }
}

/// A quarantined operation's reason in the user's words: (what happened, what to do next). `reason_code` is
/// the server's `RejectCode` name; an unknown one (a newer server) gets general words.
pub fn reject_reason(reason_code: &str, l: Locale) -> (&'static str, &'static str) {
    match from_unit_name::<RejectCode>(reason_code) {
        Some(code) => (code.label(l), labels::reject_next_step(code, l)),
        None => (
            l.pick("服务器没有接受这项操作", "The server did not accept this operation"),
            l.pick("请联系县里的系统管理员", "Tell the county administrator"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{IssueActionKind, IssueState};

    fn chinese(s: &str) -> bool {
        s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
    }

    /// One error of each code (exhaustive over the codes, so a new code fails to compile here).
    fn sample(code: ErrorCode) -> ApiError {
        match code {
            ErrorCode::NotSignedIn => ApiError::NotSignedIn,
            ErrorCode::NotFound => ApiError::NotFound { entity: "issue".into(), id: "i9".into() },
            ErrorCode::NotPermitted => ApiError::NotPermitted { rule: "not_owner_staff".into(), reason: "only staff of the level".into() },
            ErrorCode::IllegalTransition => ApiError::IllegalTransition { from: IssueState::Closed, action: IssueActionKind::Accept },
            ErrorCode::OutOfOrder => ApiError::OutOfOrder { reason: "acknowledge (签收) before relaying".into() },
            ErrorCode::InvalidInput => ApiError::InvalidInput { field: "reason".into(), reason: "must not be empty".into() },
            ErrorCode::Conflict => ApiError::Conflict { reason: "operation x was already recorded".into() },
            ErrorCode::BadPhoto => ApiError::BadPhoto { problem: PhotoProblem::Truncated, detail: "truncated".into() },
            ErrorCode::Network => ApiError::Network { reason: "error sending request: connection refused".into() },
            ErrorCode::AuthRequired => ApiError::AuthRequired { reason: "401 invalid_credentials".into() },
            ErrorCode::DeviceWiped => ApiError::DeviceWiped,
            ErrorCode::ServerRefused => ApiError::ServerRefused { status: 503, reason: "Service Unavailable".into() },
            ErrorCode::Storage => ApiError::Storage { reason: "database: disk I/O error".into() },
            ErrorCode::WrongKey => ApiError::WrongKey,
            ErrorCode::RateLimited => ApiError::RateLimited { retry_after_secs: 30 },
            ErrorCode::AccountLocked => ApiError::AccountLocked { reason: "locked after 10 failed sign-ins".into() },
            ErrorCode::PasswordChangeRequired => ApiError::PasswordChangeRequired,
            ErrorCode::InsecureConnection => ApiError::InsecureConnection { host: "192.168.1.5".into() },
        }
    }

    /// Every error code: plain Chinese message and next step, an English fallback, the code stable and
    /// distinct, and no technical text (HTTP status, English rule text, Rust names) in the message.
    #[test]
    fn every_error_reads_as_plain_chinese_with_a_next_step() {
        let mut codes = std::collections::HashSet::new();
        for &code in ErrorCode::ALL {
            let e = sample(code);
            assert_eq!(e.code(), code);
            assert!(codes.insert(code.as_str()), "duplicate code {}", code.as_str());
            let zh = describe(&e, Locale::ZhCn);
            let en = describe(&e, Locale::En);
            assert_eq!(zh.code, code.as_str());
            assert!(chinese(&zh.message) && chinese(&zh.next_step), "{zh:?}");
            assert!(!chinese(&en.message) && !en.message.is_empty() && !en.next_step.is_empty(), "{en:?}");
            for text in [&zh.message, &zh.next_step] {
                for leak in ["503", "HTTP", "Error", "error", "disk I/O", "must not", "only staff", "connection refused", "Closed", "Accept"] {
                    assert!(!text.contains(leak), "{code:?}: {text:?} leaks {leak:?}");
                }
            }
        }
        assert_eq!(codes.len(), ErrorCode::ALL.len());
        let refused = describe(&sample(ErrorCode::ServerRefused), Locale::ZhCn);
        assert_eq!(refused.detail, "HTTP 503: Service Unavailable", "technical detail only behind 详情");
        assert_eq!(describe(&sample(ErrorCode::IllegalTransition), Locale::ZhCn).message, "诉求当前为「结案」，不能「受理」");
        assert_eq!(describe(&sample(ErrorCode::InvalidInput), Locale::ZhCn).message, "「原因」填写有误");
        assert_eq!(describe(&sample(ErrorCode::NotPermitted), Locale::ZhCn).message, "只有诉求所属层级的干部可以办理此事项");
        assert_eq!(describe(&sample(ErrorCode::AuthRequired), Locale::ZhCn).action, ErrorAction::SignIn);
        assert_eq!(describe(&sample(ErrorCode::BadPhoto), Locale::ZhCn).action, ErrorAction::RetakePhoto);
    }

    /// Every rule a `NotPermitted` can name has its own words.
    #[test]
    fn every_permission_rule_has_its_own_words() {
        let general = describe(&ApiError::NotPermitted { rule: "?".into(), reason: String::new() }, Locale::ZhCn).message;
        let rules = Denial::ALL.iter().map(|d| d.code()).chain(["out_of_scope", "no_higher_level"]);
        for rule in rules {
            let m = describe(&ApiError::NotPermitted { rule: rule.into(), reason: String::new() }, Locale::ZhCn).message;
            assert!(chinese(&m) && m != general, "{rule}: {m}");
        }
    }

    #[test]
    fn every_reject_code_reads_as_plain_chinese() {
        for code in RejectCode::ALL {
            let name = linkage_protocol::wire::unit_name(&code);
            let (what, next) = reject_reason(&name, Locale::ZhCn);
            assert!(chinese(what) && chinese(next), "{name}");
            assert_ne!(what, reject_reason("from_a_newer_server", Locale::ZhCn).0, "{name}");
        }
        let (what, next) = reject_reason("from_a_newer_server", Locale::ZhCn);
        assert!(chinese(what) && chinese(next));
    }

    #[test]
    fn the_last_sync_failure_reads_as_words() {
        let m = sync_failure("server_refused", "server refused the request (503): busy", Locale::ZhCn);
        assert_eq!((m.code.as_str(), m.detail.as_str()), ("server_refused", "server refused the request (503): busy"));
        assert!(chinese(&m.message) && !m.message.contains("503"));
        assert_eq!(sync_failure("auth_required", "401", Locale::ZhCn).action, ErrorAction::SignIn);
        assert_eq!(sync_failure("?", "x", Locale::ZhCn).code, "network");
    }

    #[test]
    fn field_names_read_as_words() {
        assert_eq!(field_label("fix_time_ms", Locale::ZhCn), "定位时间");
        assert_eq!(field_label("something_new", Locale::ZhCn), "填写的内容");
    }
}
