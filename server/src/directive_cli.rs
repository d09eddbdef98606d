//! `linkage-server directive issue`: a county or township office without phones issues a directive (指令下达)
//! from the server. The directive is made as the named staff account's operation and judged by exactly the
//! rules a phone's push is (`apply`), so it lands in the change feed like a phone-issued one; the command is
//! written to the audit trail. Bad input is refused in zh-CN (and English) with nothing stored.

use linkage_protocol::hlc::Hlc;
use linkage_protocol::labels::{Label, Locale};
use linkage_protocol::model::DirectiveKind;
use linkage_protocol::rules::directive::{self as rules, DirectiveInputError};
use linkage_protocol::rules::RuleError;
use linkage_protocol::sync::OpOutcome;
use linkage_protocol::validate::{self, limits};
use linkage_protocol::wire::{Directive, OpBody, Operation};

use crate::audit::{self, Action};
use crate::error::{Error, Result};
use crate::storage::Storage;

/// What the command line names.
#[derive(Debug, Clone)]
pub struct IssueRequest {
    /// The issuing staff account (县级干部 / 乡镇干部 / 村支部).
    pub as_user: String,
    pub target: String,
    /// 通知 / 预警 / 任务, or notice / alert / task.
    pub kind: String,
    pub title: String,
    pub body: String,
    /// Due time, China Standard Time: `YYYY-MM-DD HH:MM`.
    pub due: Option<String>,
}

fn invalid(zh: impl AsRef<str>, en: impl AsRef<str>) -> Error {
    Error::Invalid(format!("{} / {}", zh.as_ref(), en.as_ref()))
}

/// Reads a kind in Chinese or English.
pub fn parse_kind(s: &str) -> Result<DirectiveKind> {
    match s.trim() {
        "通知" | "notice" => Ok(DirectiveKind::Notice),
        "预警" | "alert" => Ok(DirectiveKind::Alert),
        "任务" | "task" => Ok(DirectiveKind::Task),
        other => Err(invalid(
            format!("指令类型“{}”无效：请写 通知、预警 或 任务", other.chars().take(20).collect::<String>()),
            "kind must be notice, alert or task",
        )),
    }
}

/// Reads `YYYY-MM-DD HH:MM` in China Standard Time (UTC+8) as epoch ms.
pub fn parse_due(s: &str) -> Result<i64> {
    let cst = chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8");
    chrono::NaiveDateTime::parse_from_str(s.trim(), "%Y-%m-%d %H:%M")
        .ok()
        .and_then(|t| t.and_local_timezone(cst).single())
        .map(|t| t.timestamp_millis())
        .ok_or_else(|| invalid("办结时限格式有误：请写成“2026-12-03 18:00”（北京时间）", "due must read YYYY-MM-DD HH:MM (China Standard Time)"))
}

fn text_error(e: validate::FieldError, zh_field: &str, max: usize) -> Error {
    invalid(format!("{zh_field}不能为空，且不超过 {max} 个字"), format!("{}: {}", e.field, e.problem))
}

fn rule_error(e: RuleError) -> Error {
    match e {
        RuleError::NotPermitted(d) => invalid(d.label(Locale::ZhCn), d.label(Locale::En)),
        RuleError::OutOfScope => invalid("目标不在该账号的辖区内：只能向本级及下级下达", "the target is outside the account's area"),
        other => invalid("这一步现在不能进行", other.to_string()),
    }
}

/// Issues the directive as `req.as_user` at `now_ms`: checked, applied through the sync rules (feed, photos
/// none), audited. Returns the directive as stored.
pub fn issue(storage: &dyn Storage, req: &IssueRequest, now_ms: i64) -> Result<Directive> {
    let kind = parse_kind(&req.kind)?;
    let due_at_ms = req.due.as_deref().map(parse_due).transpose()?;
    validate::id("as", &req.as_user).map_err(|_| invalid("账号有误", "bad account id"))?;
    let (user, _) = storage
        .user_credentials(&req.as_user)?
        .ok_or_else(|| invalid(format!("找不到账号 {}", req.as_user), format!("no account '{}'", req.as_user)))?;
    validate::id("target", &req.target).map_err(|_| invalid("目标节点编号有误", "bad target node id"))?;
    let target = storage
        .node(&req.target)?
        .ok_or_else(|| invalid(format!("找不到目标节点 {}", req.target), format!("no org node '{}'", req.target)))?;
    let title = validate::text("title", &req.title, 1, limits::TITLE).map_err(|e| text_error(e, "标题", limits::TITLE))?;
    let body = validate::text("body", &req.body, 1, limits::DESCRIPTION).map_err(|e| text_error(e, "正文", limits::DESCRIPTION))?;
    rules::authorize_issue(&user.actor(), &target.path, kind, due_at_ms, now_ms).map_err(|e| match e {
        DirectiveInputError::Rule(r) => rule_error(r),
        DirectiveInputError::DueTimeRequired => invalid("任务须填写办结时限（--due \"2026-12-03 18:00\"）", "a task needs --due"),
        DirectiveInputError::DueTimeInPast => invalid("办结时限必须晚于现在", "the due time must be in the future"),
    })?;
    let id = uuid::Uuid::now_v7().to_string();
    let directive = Directive {
        id: id.clone(),
        issuer_id: user.id.clone(),
        issuer_node_id: user.node_id.clone(),
        target_node_id: target.id.clone(),
        kind,
        title,
        body,
        due_at_ms,
        issued_at_ms: now_ms,
        evidence: vec![],
    };
    let op = Operation {
        op_id: uuid::Uuid::now_v7().to_string(),
        hlc: Hlc { wall_ms: now_ms, counter: 0 }.encode("server"),
        body: OpBody::DirectiveIssued(directive.clone()),
    };
    match storage.apply_op(&user, &op, now_ms)? {
        OpOutcome::Applied | OpOutcome::Duplicate => {}
        OpOutcome::Rejected { code, message } => {
            return Err(invalid(format!("服务器未接受：{}", code.label(Locale::ZhCn)), message));
        }
    }
    storage.audit(
        &audit::Event::new(audit::cli_actor(), Action::DirectiveIssued, &id, "").with(serde_json::json!({
            "as": user.id, "target": target.id, "kind": kind, "due_at_ms": due_at_ms,
        })),
        now_ms,
    )?;
    Ok(directive)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_due_times_read_in_chinese_or_english() {
        assert_eq!(parse_kind("预警").unwrap(), DirectiveKind::Alert);
        assert_eq!(parse_kind("task").unwrap(), DirectiveKind::Task);
        assert!(parse_kind("命令").unwrap_err().to_string().contains("通知、预警 或 任务"));
        // 2026-12-03 18:00 in Beijing is 10:00 UTC.
        assert_eq!(parse_due("2026-12-03 18:00").unwrap(), 1_796_292_000_000);
        assert!(parse_due("明天").unwrap_err().to_string().contains("北京时间"));
    }
}
