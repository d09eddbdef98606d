//! 最小必要 Least personal data by role (PIPL Art. 6, 28): what of a household and of other users' records each
//! role receives, decided by the server when it answers a bundle or a feed page, by the same rule the phone
//! uses to refuse corrections it cannot make without seeing the whole value.
//!
//! | role | 身份证号 ID number | 联系电话 phone | sensitive tags (低保, 残疾, …) | others' visit notes / GPS fixes |
//! |---|---|---|---|---|
//! | 县级/乡镇干部 staff | full | full | full | full |
//! | 支部书记 branch secretary (own village only) | full | full | if the county allows (default yes) | full |
//! | 网格员 grid worker | masked `110***********1234` | full | if the county allows (default yes) | full |
//! | 联户长 liaison head | withheld | masked `138****5678` | if the county allows (default no) | withheld |
//!
//! A role that does not receive every tag may not correct the tag set (a correction replaces the whole set
//! and would erase the tags it cannot see); masked values cannot be written back because a correction's phone
//! must be digits (`household_edit::validate`).

use serde::{Deserialize, Serialize};

use crate::model::Role;
use crate::validate::{mask_id_number, mask_phone};
use crate::wire::{BundleHousehold, HouseholdField, OpBody, Operation};

/// The county's setting of which tags are sensitive (敏感个人信息) and which roles receive them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct PrivacyPolicy {
    /// Tags that are sensitive personal information (default: 低保, 特困, 残疾, 精神障碍, 脱贫监测户, 留守儿童,
    /// 独居老人). Other tags go to every role.
    #[serde(default = "default_sensitive_tags")]
    pub sensitive_tags: Vec<String>,
    /// Roles that receive sensitive tags (default: county staff, township staff, grid workers, branch
    /// secretaries).
    #[serde(default = "default_sensitive_tag_roles")]
    pub sensitive_tag_roles: Vec<Role>,
}

fn default_sensitive_tags() -> Vec<String> {
    ["低保", "特困", "残疾", "精神障碍", "脱贫监测户", "留守儿童", "独居老人"].map(String::from).to_vec()
}

fn default_sensitive_tag_roles() -> Vec<Role> {
    vec![Role::CountyStaff, Role::TownshipStaff, Role::GridWorker, Role::BranchSecretary]
}

impl Default for PrivacyPolicy {
    fn default() -> Self {
        PrivacyPolicy { sensitive_tags: default_sensitive_tags(), sensitive_tag_roles: default_sensitive_tag_roles() }
    }
}

/// How much of a value a role receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disclosure {
    Full,
    Masked,
    Withheld,
}

/// How much of a household's ID number (身份证号) `role` receives.
pub fn id_number(role: Role) -> Disclosure {
    match role {
        // The branch secretary is staff within the village (ADR 0008): the scope, not the role, limits what
        // it receives (its own branch's households only).
        Role::CountyStaff | Role::TownshipStaff | Role::BranchSecretary => Disclosure::Full,
        Role::GridWorker => Disclosure::Masked,
        Role::LiaisonHead => Disclosure::Withheld,
    }
}

/// How much of a household's phone number `role` receives.
pub fn phone(role: Role) -> Disclosure {
    match role {
        Role::LiaisonHead => Disclosure::Masked,
        _ => Disclosure::Full,
    }
}

/// Whether `role` receives other users' visit notes (民情日记) and GPS fixes.
pub fn others_visit_details(role: Role) -> bool {
    role != Role::LiaisonHead
}

impl PrivacyPolicy {
    /// Whether `role` receives the sensitive tags.
    pub fn sees_sensitive_tags(&self, role: Role) -> bool {
        self.sensitive_tag_roles.contains(&role)
    }

    /// `tags` without those `role` may not receive.
    fn filter_tags(&self, role: Role, tags: &mut Vec<String>) {
        if !self.sees_sensitive_tags(role) {
            tags.retain(|t| !self.sensitive_tags.contains(t));
        }
    }

    /// The household as `role` receives it in a bundle.
    pub fn project_household(&self, role: Role, h: &mut BundleHousehold) {
        h.id_number = match id_number(role) {
            Disclosure::Full => h.id_number.take(),
            Disclosure::Masked => h.id_number.as_deref().map(mask_id_number),
            Disclosure::Withheld => None,
        };
        if phone(role) == Disclosure::Masked {
            h.phone = h.phone.as_deref().map(mask_phone);
        }
        self.filter_tags(role, &mut h.tags);
    }

    /// A feed operation as the user `viewer_id` with `role` receives it: household corrections with the phone
    /// masked and tags filtered as in the bundle; other users' visits without notes and GPS fix for roles that
    /// may not see them. Everything else unchanged.
    pub fn project_op(&self, viewer_id: &str, role: Role, op: &mut Operation) {
        match &mut op.body {
            OpBody::HouseholdEdited(edit) => {
                for field in &mut edit.fields {
                    match field {
                        HouseholdField::Phone(Some(p)) if phone(role) == Disclosure::Masked => *p = mask_phone(p),
                        HouseholdField::Tags(tags) => self.filter_tags(role, tags),
                        _ => {}
                    }
                }
            }
            OpBody::VisitRecorded(v) if v.visitor_id != viewer_id && !others_visit_details(role) => {
                v.notes.clear();
                v.fix = None;
            }
            _ => {}
        }
    }

    /// Whether `role` may correct `field`: not the tag set when it does not receive every tag.
    pub fn may_edit(&self, role: Role, field: &HouseholdField) -> bool {
        !matches!(field, HouseholdField::Tags(_)) || self.sees_sensitive_tags(role)
    }

    /// Checks the settings: tags non-empty text.
    pub fn validate(&self) -> Result<(), crate::validate::FieldError> {
        if self.sensitive_tags.iter().any(|t| t.trim().is_empty() || t.chars().count() > 20) {
            return Err(crate::validate::FieldError::new("config.privacy.sensitive_tags", "each tag must be 1 to 20 characters"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{GpsFix, OnSiteVerdict, OrgLevel, RiskLevel, VisitKind};
    use crate::wire::{HouseholdEdit, Visit};

    fn household() -> BundleHousehold {
        BundleHousehold {
            id: "h1".into(),
            group_id: "g1".into(),
            head_name: "王建国".into(),
            members: 3,
            phone: Some("13812345678".into()),
            id_number: Some("110101199003071234".into()),
            address: "一组".into(),
            lat: Some(35.1),
            lon: Some(109.1),
            tags: vec!["低保".into(), "党员".into()],
            risk_level: RiskLevel::Low,
            county_contact: false,
        }
    }

    #[test]
    fn households_by_role() {
        let p = PrivacyPolicy::default();
        let project = |role| {
            let mut h = household();
            p.project_household(role, &mut h);
            (h.id_number, h.phone, h.tags)
        };
        let full = (Some("110101199003071234".to_string()), Some("13812345678".to_string()), vec!["低保".to_string(), "党员".to_string()]);
        assert_eq!(project(Role::CountyStaff), full);
        assert_eq!(project(Role::TownshipStaff), full);
        assert_eq!(project(Role::BranchSecretary), full, "staff within the village");
        assert_eq!(project(Role::GridWorker), (Some("110***********1234".into()), full.1.clone(), full.2.clone()));
        assert_eq!(project(Role::LiaisonHead), (None, Some("138****5678".into()), vec!["党员".to_string()]));
        let open = PrivacyPolicy { sensitive_tag_roles: vec![Role::LiaisonHead], ..PrivacyPolicy::default() };
        let mut h = household();
        open.project_household(Role::LiaisonHead, &mut h);
        assert_eq!(h.tags, full.2);
        let mut h = household();
        open.project_household(Role::GridWorker, &mut h);
        assert_eq!(h.tags, vec!["党员".to_string()]);
    }

    #[test]
    fn feed_ops_by_role() {
        let p = PrivacyPolicy::default();
        let visit = Operation {
            op_id: "o1".into(),
            hlc: "x".into(),
            body: OpBody::VisitRecorded(Visit {
                id: "v1".into(),
                household_id: "h1".into(),
                visitor_id: "gw".into(),
                visitor_level: OrgLevel::Branch,
                kind: VisitKind::Routine,
                started_at_ms: 1,
                ended_at_ms: 2,
                fix: Some(GpsFix { lat: 35.1, lon: 109.1, accuracy_m: 5.0, fix_time_ms: 2, mocked: false }),
                distance_m: Some(3.0),
                verdict: OnSiteVerdict::OnSite,
                notes: "老人腿脚不便".into(),
                evidence: vec![],
                issue_id: None,
                amends_visit_id: None,
            }),
        };
        let seen = |viewer: &str, role| {
            let mut op = visit.clone();
            p.project_op(viewer, role, &mut op);
            match op.body {
                OpBody::VisitRecorded(v) => (v.notes.is_empty(), v.fix.is_none()),
                _ => unreachable!(),
            }
        };
        assert_eq!(seen("lh", Role::LiaisonHead), (true, true));
        assert_eq!(seen("gw", Role::LiaisonHead), (false, false), "one's own visit comes back whole");
        assert_eq!(seen("gw2", Role::GridWorker), (false, false));
        assert_eq!(seen("ts", Role::TownshipStaff), (false, false));
        assert_eq!(seen("bs", Role::BranchSecretary), (false, false));

        let edit = Operation {
            op_id: "o2".into(),
            hlc: "x".into(),
            body: OpBody::HouseholdEdited(HouseholdEdit {
                household_id: "h1".into(),
                editor_id: "ts".into(),
                editor_role: Role::TownshipStaff,
                hlc: "x".into(),
                at_ms: 1,
                fields: vec![HouseholdField::Phone(Some("13812345678".into())), HouseholdField::Tags(vec!["残疾".into(), "党员".into()])],
            }),
        };
        let mut op = edit.clone();
        p.project_op("lh", Role::LiaisonHead, &mut op);
        let OpBody::HouseholdEdited(e) = op.body else { unreachable!() };
        assert_eq!(
            e.fields,
            vec![HouseholdField::Phone(Some("138****5678".into())), HouseholdField::Tags(vec!["党员".into()])]
        );
        let mut op = edit.clone();
        p.project_op("gw", Role::GridWorker, &mut op);
        assert_eq!(op, edit);
    }

    #[test]
    fn tag_corrections_need_every_tag() {
        let p = PrivacyPolicy::default();
        let tags = HouseholdField::Tags(vec!["党员".into()]);
        assert!(!p.may_edit(Role::LiaisonHead, &tags));
        assert!(p.may_edit(Role::GridWorker, &tags));
        assert!(p.may_edit(Role::LiaisonHead, &HouseholdField::Phone(Some("13900000000".into()))));
    }

    #[test]
    fn settings_read_with_defaults() {
        let p: PrivacyPolicy = serde_json::from_str("{}").unwrap();
        assert_eq!(p, PrivacyPolicy::default());
        let p: PrivacyPolicy = serde_json::from_str(r#"{"sensitive_tag_roles":["liaison_head"]}"#).unwrap();
        assert!(p.sees_sensitive_tags(Role::LiaisonHead) && !p.sees_sensitive_tags(Role::GridWorker));
        assert!(PrivacyPolicy { sensitive_tags: vec![" ".into()], ..PrivacyPolicy::default() }.validate().is_err());
    }
}
