//! A role's configuration settings (`ALTER ROLE … [IN DATABASE …] SET`).

use std::collections::BTreeMap;

use super::audit::Finding;
use super::plan::{Change, ChangePlan, PlanPhase};
use crate::model::catalog::{LiveRole, LiveSetting};
use crate::model::{Role, Setting};
use crate::pg::quote::{ident, literal};
use crate::pg::settings::{same_setting, setting_name, stored_form};

/// A setting by database (`None`: every database) and parameter, lower case.
type SettingKey = (Option<String>, String);

/// One setting as the policy and the server have it.
pub(crate) struct SettingComparison<'a> {
    pub database: Option<String>,
    /// Lower case.
    pub param: String,
    /// The values of the policy's last `set` of it.
    pub want: Option<&'a [String]>,
    /// As the server stores it.
    pub have: Option<&'a str>,
    /// Whether what is stored means what the policy sets.
    pub same: bool,
}

/// The settings of one role.
pub(crate) struct SettingsComparison<'a> {
    /// Every setting the policy or the server has, by database and parameter.
    pub items: Vec<SettingComparison<'a>>,
    /// The policy's `set`s that change something, in policy order.
    pub to_set: Vec<&'a Setting>,
}

pub(crate) fn compare<'a>(role: &'a Role, live: Option<&'a LiveRole>) -> SettingsComparison<'a> {
    let mut want: BTreeMap<SettingKey, &[String]> = BTreeMap::new();
    for s in &role.settings {
        want.insert((s.database.clone(), s.param.to_ascii_lowercase()), &s.values);
    }
    let mut have: BTreeMap<SettingKey, &str> = BTreeMap::new();
    for s in live.map(|l| l.settings.as_slice()).unwrap_or_default() {
        have.insert((s.database.clone(), s.param.to_ascii_lowercase()), &s.value);
    }
    let same =
        |key: &SettingKey, values: &[String]| have.get(key).is_some_and(|stored| same_setting(&key.1, values, stored));
    let to_set = role
        .settings
        .iter()
        .filter(|s| {
            let key = (s.database.clone(), s.param.to_ascii_lowercase());
            // Unchanged, or overridden by a later `set` of the same parameter.
            !same(&key, &s.values) && want.get(&key).is_some_and(|w| std::ptr::eq(*w, s.values.as_slice()))
        })
        .collect();
    let mut items: BTreeMap<SettingKey, SettingComparison> = BTreeMap::new();
    for (key, values) in &want {
        let item = SettingComparison {
            database: key.0.clone(),
            param: key.1.clone(),
            want: Some(values),
            have: have.get(key).copied(),
            same: same(key, values),
        };
        items.insert(key.clone(), item);
    }
    for (key, value) in &have {
        if !want.contains_key(key) {
            let item = SettingComparison {
                database: key.0.clone(),
                param: key.1.clone(),
                want: None,
                have: Some(value),
                same: false,
            };
            items.insert(key.clone(), item);
        }
    }
    SettingsComparison { items: items.into_values().collect(), to_set }
}

impl SettingsComparison<'_> {
    /// `SET` what the policy sets differently, `RESET` what it does not set.
    pub fn plan(&self, role: &str, plan: &mut ChangePlan) {
        let name = ident(role);
        let scope = |db: &Option<String>| db.as_ref().map(|d| format!(" IN DATABASE {}", ident(d))).unwrap_or_default();
        for s in &self.to_set {
            let values: Vec<String> =
                if s.values.is_empty() { vec![literal("")] } else { s.values.iter().map(|v| literal(v)).collect() };
            let sql = format!(
                "ALTER ROLE {name}{} SET {} = {};",
                scope(&s.database),
                setting_name(&s.param),
                values.join(", ")
            );
            plan.push(Change::new(PlanPhase::Attributes, sql));
        }
        for s in self.items.iter().filter(|s| s.want.is_none()) {
            let sql = format!("ALTER ROLE {name}{} RESET {};", scope(&s.database), setting_name(&s.param));
            plan.push(Change::new(PlanPhase::Attributes, sql));
        }
    }

    /// Findings for the settings (the policy's, then those only the server has), and the
    /// settings as the server will store them (one already right stays as stored).
    pub fn audit(&self, role: &str, findings: &mut Vec<Finding>) -> Vec<LiveSetting> {
        let item = |s: &SettingComparison| {
            let db = s.database.as_ref().map(|d| format!(" in database {d}")).unwrap_or_default();
            format!("setting {}{db}", s.param)
        };
        let mut stored = Vec::new();
        for s in &self.items {
            let Some(values) = s.want else { continue };
            let expected = stored_form(&s.param, values);
            let actual = s.have.unwrap_or("unset").to_string();
            findings.push(Finding::new(s.same, role, item(s), expected.clone(), actual));
            let value = match s.have {
                Some(have) if s.same => have.to_string(),
                _ => expected,
            };
            stored.push(LiveSetting { database: s.database.clone(), param: s.param.clone(), value });
        }
        for s in self.items.iter().filter(|s| s.want.is_none()) {
            findings.push(Finding::new(false, role, item(s), "unset", s.have.unwrap_or_default()));
        }
        stored
    }
}
