//! The settings page (设置) through the exported object: the text-size choices of 大字模式 and the chosen one,
//! the display language, the app's version, what signing out leaves unsent (退出登录前的提醒), and the guide to
//! keeping background sync alive on Chinese phone brands (电池优化白名单, 自启动). The choices, the persisted
//! values and every text live here so both shells show the same page; the shells only apply the scale to
//! their typography and open the system settings.

use linkage_protocol::labels::Locale;

use crate::error::{ApiError, Error};
use crate::facade::FieldApp;
use crate::store;

/// The text scales of 大字模式: standard, large (×1.3), extra large (×1.6).
pub const TEXT_SCALES: [f32; 3] = [1.0, 1.3, 1.6];
const TEXT_SCALE_KEY: &str = "pref_text_scale";
const LANGUAGE_KEY: &str = "pref_language";
/// The display languages offered: (tag, label in its own language).
const LANGUAGES: [(&str, &str); 2] = [("zh-CN", "简体中文"), ("en", "English")];

/// One text-size choice (字号).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct TextScaleChoice {
    /// Multiplier the shell applies to every font size (1.0, 1.3, 1.6).
    pub scale: f32,
    pub label: String,
    pub selected: bool,
}

/// One display-language choice.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct LanguageChoice {
    /// BCP-47 tag to pass to `set_language`.
    pub tag: String,
    /// The language's name in itself (简体中文, English).
    pub label: String,
    pub selected: bool,
}

/// The settings page in one read.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct SettingsPage {
    pub text_scales: Vec<TextScaleChoice>,
    /// The chosen multiplier (1.0 until the user picks another).
    pub text_scale: f32,
    pub languages: Vec<LanguageChoice>,
    /// The server this phone syncs with, once enrolled.
    pub server_url: Option<String>,
    /// The core's version (the shells add their own build number).
    pub core_version: String,
    /// "版本 0.1.0" in the display language.
    pub version_label: String,
}

/// What signing out would leave behind, for the confirmation dialog.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct SignOutCheck {
    /// Records saved on this phone and not yet accepted by the server (the outbox).
    pub unsent: u64,
    /// Records the server refused, kept for the user to see.
    pub refused: u64,
    /// The dialog's title and text in the display language; the text warns when anything is unsent.
    pub title: String,
    pub message: String,
    /// The confirm button's label (退出登录 / 仍然退出).
    pub confirm_label: String,
}

/// How to keep sync running in the background on one phone brand.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct BrandGuide {
    /// 华为 / 荣耀, 小米 / 红米, OPPO / 一加 / realme, vivo / iQOO.
    pub brand: String,
    /// Steps in order, each one line a user follows in the system settings.
    pub steps: Vec<String>,
}

/// The background-sync guide page (后台同步设置说明).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct BackgroundSyncGuide {
    pub title: String,
    /// Why it matters, in one paragraph.
    pub intro: String,
    pub brands: Vec<BrandGuide>,
    /// What to check afterwards.
    pub check: String,
}

fn scale_label(scale: f32, l: Locale) -> &'static str {
    match scale {
        s if s < 1.15 => l.pick("标准", "Standard"),
        s if s < 1.45 => l.pick("大字 ×1.3", "Large ×1.3"),
        _ => l.pick("特大字 ×1.6", "Extra large ×1.6"),
    }
}

fn stored_scale(s: &store::Store) -> Result<f32, Error> {
    let v = store::meta_get(s.conn(), TEXT_SCALE_KEY)?;
    Ok(v.and_then(|v| v.parse::<f32>().ok()).filter(|v| TEXT_SCALES.contains(v)).unwrap_or(1.0))
}

#[uniffi::export]
impl FieldApp {
    /// The settings page: text-size choices with the chosen one, languages, server address and version.
    /// I/O: DB reads (small); not the UI thread.
    pub fn settings_page(&self) -> Result<SettingsPage, ApiError> {
        self.with(|s, l| {
            let scale = stored_scale(s)?;
            let language = store::meta_get(s.conn(), LANGUAGE_KEY)?;
            let current_tag = language.unwrap_or_else(|| l.pick("zh-CN", "en").to_string());
            let version = env!("CARGO_PKG_VERSION");
            Ok(SettingsPage {
                text_scales: TEXT_SCALES
                    .iter()
                    .map(|&v| TextScaleChoice { scale: v, label: scale_label(v, l).into(), selected: v == scale })
                    .collect(),
                text_scale: scale,
                languages: LANGUAGES
                    .iter()
                    .map(|(tag, label)| LanguageChoice {
                        tag: (*tag).into(),
                        label: (*label).into(),
                        selected: Locale::from_tag(tag) == Locale::from_tag(&current_tag),
                    })
                    .collect(),
                server_url: s.sync_meta()?.server_url,
                core_version: version.into(),
                version_label: format!("{} {version}", l.pick("版本", "Version")),
            })
        })
    }

    /// The chosen text scale of 大字模式 (1.0 until one is picked); kept on this phone across restarts and
    /// sign-outs. The shell applies it to its typography at start. I/O: DB read.
    pub fn text_scale(&self) -> Result<f32, ApiError> {
        self.with(|s, _| stored_scale(s))
    }

    /// Picks a text scale: one of `settings_page().text_scales` (1.0, 1.3, 1.6), else `InvalidInput` on
    /// `text_scale` and nothing changes. I/O: DB write.
    pub fn set_text_scale(&self, scale: f32) -> Result<f32, ApiError> {
        self.with(|s, _| {
            if !TEXT_SCALES.contains(&scale) {
                return Err(Error::invalid("text_scale", "pick one of the offered text sizes"));
            }
            store::meta_set(s.conn(), TEXT_SCALE_KEY, &scale.to_string())?;
            Ok(scale)
        })
    }

    /// The language the user picked in settings, or `None` to follow the phone's. The shell passes it (or the
    /// phone's) to `set_locale` at start. I/O: DB read.
    pub fn chosen_language(&self) -> Result<Option<String>, ApiError> {
        self.with(|s, _| Ok(store::meta_get(s.conn(), LANGUAGE_KEY)?))
    }

    /// Picks the display language (one of `settings_page().languages`, else `InvalidInput` on `language`):
    /// kept across restarts and applied at once to the core's labels. I/O: DB write.
    pub fn set_language(&self, tag: String) -> Result<(), ApiError> {
        self.with(|s, _| {
            let Some((tag, _)) = LANGUAGES.iter().find(|(t, _)| t.eq_ignore_ascii_case(tag.trim())) else {
                return Err(Error::invalid("language", "pick one of the offered languages"));
            };
            store::meta_set(s.conn(), LANGUAGE_KEY, tag)?;
            s.locale = Locale::from_tag(tag);
            Ok(())
        })
    }

    /// What signing out would leave unsent, for the confirmation (退出登录): the outbox's pending and refused
    /// records and the dialog's text — a warning naming the count when anything is unsent. Signing out keeps
    /// them on the phone; they are sent after the same user signs in again. I/O: DB read.
    pub fn sign_out_check(&self) -> Result<SignOutCheck, ApiError> {
        self.with(|s, l| {
            let c = s.outbox_counts()?;
            let (message, confirm) = if c.pending == 0 && c.quarantined == 0 {
                (
                    l.pick("所有记录都已发送到服务器。退出后需要重新登录才能继续使用。", "Everything has been sent. You will need to sign in again.")
                        .to_string(),
                    l.pick("退出登录", "Sign out"),
                )
            } else {
                let mut m = match l {
                    Locale::ZhCn => format!("还有 {} 条记录没有发送到服务器。", c.pending),
                    Locale::En => format!("{} record(s) have not been sent to the server yet.", c.pending),
                };
                if c.quarantined > 0 {
                    m.push_str(&match l {
                        Locale::ZhCn => format!("另有 {} 条被服务器退回，需要处理。", c.quarantined),
                        Locale::En => format!(" {} record(s) were refused by the server and need attention.", c.quarantined),
                    });
                }
                m.push_str(l.pick(
                    "退出后这些记录仍保存在本机，本人再次登录后才会发送。建议先连上网络同步，再退出。",
                    " They stay on this phone and are sent only after you sign in again. Sync on a network first.",
                ));
                (m, l.pick("仍然退出", "Sign out anyway"))
            };
            Ok(SignOutCheck {
                unsent: c.pending,
                refused: c.quarantined,
                title: l.pick("退出登录？", "Sign out?").into(),
                message,
                confirm_label: confirm.into(),
            })
        })
    }

    /// The background-sync guide (后台同步设置说明): why sync needs the phone's permission to run in the
    /// background, and the steps on Huawei/Honor, Xiaomi/Redmi, OPPO/OnePlus/realme and vivo/iQOO phones
    /// (battery optimisation whitelist, auto-start, lock in recent apps). Menu names differ between system
    /// versions; the steps name the usual path. No I/O.
    pub fn background_sync_guide(&self) -> BackgroundSyncGuide {
        guide(self.store().locale)
    }
}

fn guide(l: Locale) -> BackgroundSyncGuide {
    let steps = |zh: &[&str], en: &[&str]| -> Vec<String> {
        match l {
            Locale::ZhCn => zh.iter().map(|s| s.to_string()).collect(),
            Locale::En => en.iter().map(|s| s.to_string()).collect(),
        }
    };
    let brands = vec![
        BrandGuide {
            brand: l.pick("华为 / 荣耀", "Huawei / Honor").into(),
            steps: steps(
                &[
                    "打开「设置」→「应用和服务」→「应用启动管理」，找到「五级联动」，关闭「自动管理」。",
                    "在弹出的窗口里打开「允许自启动」「允许关联启动」「允许后台活动」三个开关。",
                    "打开「设置」→「电池」→「更多电池设置」，打开「休眠时始终保持网络连接」。",
                    "打开最近任务（多任务）界面，把「五级联动」向下拉，加上小锁。",
                ],
                &[
                    "Settings → Apps & services → App launch: find Linkage and turn off \"Manage automatically\".",
                    "Turn on Auto-launch, Secondary launch and Run in background.",
                    "Settings → Battery → More battery settings: keep the network connected while asleep.",
                    "In recent apps, pull Linkage down to lock it.",
                ],
            ),
        },
        BrandGuide {
            brand: l.pick("小米 / 红米", "Xiaomi / Redmi").into(),
            steps: steps(
                &[
                    "打开「设置」→「应用设置」→「应用管理」，找到「五级联动」。",
                    "打开「自启动」开关。",
                    "点「省电策略」，选择「无限制」。",
                    "打开最近任务界面，长按「五级联动」，点小锁图标锁定。",
                ],
                &[
                    "Settings → Apps → Manage apps: open Linkage.",
                    "Turn on Autostart.",
                    "Battery saver: choose No restrictions.",
                    "In recent apps, long-press Linkage and tap the lock.",
                ],
            ),
        },
        BrandGuide {
            brand: l.pick("OPPO / 一加 / realme", "OPPO / OnePlus / realme").into(),
            steps: steps(
                &[
                    "打开「设置」→「电池」→「更多设置」→「优化电池使用」，找到「五级联动」，选「不优化」。",
                    "打开「设置」→「应用」→「应用管理」→「五级联动」→「耗电管理」，打开「允许后台运行」「允许自动启动」。",
                    "打开最近任务界面，点「五级联动」右上角的菜单，选「锁定」。",
                ],
                &[
                    "Settings → Battery → More settings → Optimise battery use: set Linkage to Don't optimise.",
                    "Settings → Apps → App management → Linkage → Battery usage: allow background activity and auto launch.",
                    "In recent apps, open Linkage's menu and choose Lock.",
                ],
            ),
        },
        BrandGuide {
            brand: l.pick("vivo / iQOO", "vivo / iQOO").into(),
            steps: steps(
                &[
                    "打开「设置」→「电池」→「后台耗电管理」，找到「五级联动」，选「允许后台高耗电」。",
                    "打开「i管家」→「应用管理」→「权限管理」→「自启动」，打开「五级联动」。",
                    "打开最近任务界面，把「五级联动」向下拉，锁定。",
                ],
                &[
                    "Settings → Battery → Background power consumption: allow high background power use for Linkage.",
                    "i Manager → App manager → Permissions → Autostart: turn Linkage on.",
                    "In recent apps, pull Linkage down to lock it.",
                ],
            ),
        },
    ];
    BackgroundSyncGuide {
        title: l.pick("让手机在后台自动同步", "Keep sync running in the background").into(),
        intro: l
            .pick(
                "走访记录、上报的诉求和照片先存在手机里，有网络时自动发送。很多国产手机为了省电，会在锁屏后停止应用的后台运行，记录就会一直留在手机上。请按手机品牌设置一次：",
                "Visits, reports and photos are saved on the phone and sent automatically when there is a network. Many phones stop apps in the background to save battery, and then records stay on the phone. Set this once for your phone's brand:",
            )
            .into(),
        brands,
        check: l
            .pick(
                "设置好后，锁屏放置半小时再打开本应用：顶部显示「已同步」且没有「待发送」，说明后台同步正常。",
                "Afterwards, lock the phone for half an hour, then open the app: it should say synced with nothing waiting to send.",
            )
            .into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::store::testing::{app, NOW};
    use std::sync::Arc;


    /// 大字模式 and the language persist in the store (a reopened app keeps them); only offered values pass.
    #[test]
    fn text_scale_and_language_persist() {
        let (app, dir) = app();
        let page = app.settings_page().unwrap();
        assert_eq!(page.text_scales.iter().map(|c| c.scale).collect::<Vec<_>>(), [1.0, 1.3, 1.6]);
        assert_eq!(page.text_scales.iter().map(|c| c.label.as_str()).collect::<Vec<_>>(), ["标准", "大字 ×1.3", "特大字 ×1.6"]);
        assert_eq!((page.text_scale, page.text_scales[0].selected), (1.0, true));
        assert!(page.version_label.starts_with("版本 "));
        assert!(matches!(app.set_text_scale(2.5), Err(ApiError::InvalidInput { field, .. }) if field == "text_scale"));
        app.set_text_scale(1.6).unwrap();
        assert!(matches!(app.set_language("fr".into()), Err(ApiError::InvalidInput { field, .. }) if field == "language"));
        app.set_language("en".into()).unwrap();
        assert_eq!(app.settings_page().unwrap().text_scales[2].label, "Extra large ×1.6");
        drop(app);
        let reopened = FieldApp::open_with_clock(&dir.path().join("linkage.db"), Arc::new(ManualClock::new(NOW))).unwrap();
        assert_eq!(reopened.text_scale().unwrap(), 1.6);
        assert_eq!(reopened.chosen_language().unwrap().as_deref(), Some("en"));
        let page = reopened.settings_page().unwrap();
        assert!(page.text_scales[2].selected && page.languages[1].selected && !page.languages[0].selected);
    }

    /// The sign-out dialog counts the outbox: nothing unsent reads plainly; unsent records are named with
    /// their number and the confirm button says 仍然退出.
    #[test]
    fn sign_out_warns_about_unsent_records() {
        let (app, _dir) = app();
        app.sign_in("gw".into()).unwrap();
        let clean = app.sign_out_check().unwrap();
        assert_eq!((clean.unsent, clean.confirm_label.as_str()), (0, "退出登录"));
        app.edit_household("h1".into(), vec![crate::api::HouseholdChange::Members { count: 4 }]).unwrap();
        app.edit_household("h2".into(), vec![crate::api::HouseholdChange::Members { count: 2 }]).unwrap();
        let warn = app.sign_out_check().unwrap();
        assert_eq!((warn.unsent, warn.confirm_label.as_str()), (2, "仍然退出"));
        assert!(warn.message.contains("还有 2 条记录没有发送"), "{}", warn.message);
    }

    #[test]
    fn the_guide_covers_the_four_brand_families_in_chinese() {
        let g = guide(Locale::ZhCn);
        let brands: Vec<_> = g.brands.iter().map(|b| b.brand.as_str()).collect();
        assert_eq!(brands, ["华为 / 荣耀", "小米 / 红米", "OPPO / 一加 / realme", "vivo / iQOO"]);
        assert!(g.brands.iter().all(|b| b.steps.len() >= 3 && b.steps.iter().all(|s| s.contains('「'))));
        let en = guide(Locale::En);
        assert_eq!(en.brands.len(), 4);
    }
}
