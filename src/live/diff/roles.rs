//! Roles: attributes, connection limit, validity, password (set on creation only) and comment.

use super::audit::Finding;
use super::plan::{Change, ChangePlan, PasswordFrom, PlanPhase};
use super::role_settings::SettingsComparison;
use super::Context;
use crate::model::catalog::LiveRole;
use crate::model::{PasswordSource, Role};
use crate::pg::quote::{comment, ident, literal};
use crate::syntax::ast::AttributeKind;

/// One attribute of a role: what the policy wants and what the server has.
pub(crate) struct AttributeComparison {
    pub kind: AttributeKind,
    /// `CREATE ROLE`'s default.
    pub default: bool,
    /// The keywords for on and off (`LOGIN`, `NOLOGIN`).
    pub on: &'static str,
    pub off: &'static str,
    /// Whether the policy states the attribute (else it wants the default).
    pub stated: bool,
    pub want: bool,
    /// `None` when the role does not exist.
    pub have: Option<bool>,
}

/// A role of the policy within the scope, compared with the server's.
pub(crate) struct RoleComparison<'a> {
    pub role: &'a Role,
    /// `None`: the role is to be created.
    pub live: Option<&'a LiveRole>,
    pub attributes: Vec<AttributeComparison>,
    /// The policy's expiry and the server's: seconds since the epoch, `None` for none.
    pub want_expiry: Option<i64>,
    pub have_expiry: Option<i64>,
    pub settings: SettingsComparison<'a>,
}

/// The declared roles in scope, in policy order.
pub(crate) fn compare<'a>(cx: &Context<'a>) -> Vec<RoleComparison<'a>> {
    let roles = cx.model.roles.iter().filter(|r| cx.scope.manages(&r.name));
    roles
        .map(|role| {
            let live = cx.live_roles.get(role.name.as_str()).copied();
            let attributes = AttributeKind::EACH
                .into_iter()
                .map(|kind| AttributeComparison {
                    kind,
                    default: kind.create_role_default(),
                    on: kind.sql(true),
                    off: kind.sql(false),
                    stated: role.attributes.contains_key(&kind),
                    want: wanted_attribute(role, kind, kind.create_role_default()),
                    have: live.map(|l| live_attribute(l, kind)),
                })
                .collect();
            RoleComparison {
                role,
                live,
                attributes,
                want_expiry: expiry(role.valid_until.as_deref()),
                have_expiry: live.and_then(|l| expiry(l.valid_until.as_deref())),
                settings: super::role_settings::compare(role, live),
            }
        })
        .collect()
}

/// Whether the policy gives `role` the attribute (else `default`).
pub(crate) fn wanted_attribute(role: &Role, kind: AttributeKind, default: bool) -> bool {
    role.attributes.get(&kind).copied().unwrap_or(default)
}

fn live_attribute(r: &LiveRole, kind: AttributeKind) -> bool {
    match kind {
        AttributeKind::Login => r.login,
        AttributeKind::Superuser => r.superuser,
        AttributeKind::Createdb => r.createdb,
        AttributeKind::Createrole => r.createrole,
        AttributeKind::Replication => r.replication,
        AttributeKind::Bypassrls => r.bypassrls,
        AttributeKind::Inherit => r.inherit,
    }
}

fn set_attribute(r: &mut LiveRole, kind: AttributeKind, value: bool) {
    let field = match kind {
        AttributeKind::Login => &mut r.login,
        AttributeKind::Superuser => &mut r.superuser,
        AttributeKind::Createdb => &mut r.createdb,
        AttributeKind::Createrole => &mut r.createrole,
        AttributeKind::Replication => &mut r.replication,
        AttributeKind::Bypassrls => &mut r.bypassrls,
        AttributeKind::Inherit => &mut r.inherit,
    };
    *field = value;
}

/// Seconds since the epoch of a `valid until`; `None` for no expiry (`infinity`), `i64::MIN`
/// for `-infinity` (always expired, a value of its own).
fn expiry(text: Option<&str>) -> Option<i64> {
    let t = text?;
    if t.eq_ignore_ascii_case("infinity") {
        return None;
    }
    if t.eq_ignore_ascii_case("-infinity") {
        return Some(i64::MIN);
    }
    crate::model::values::parse_timestamp(t).map(|t| t.timestamp())
}

impl RoleComparison<'_> {
    /// `CREATE ROLE` or `ALTER ROLE` with what differs, the password of a new role, its
    /// settings and its comment.
    pub fn plan(&self, plan: &mut ChangePlan) {
        let (role, live) = (self.role, self.live);
        let name = ident(&role.name);
        let mut options = Vec::new();
        for a in &self.attributes {
            if a.want != a.have.unwrap_or(a.default) {
                options.push(if a.want { a.on } else { a.off }.to_string());
            }
        }
        let limit = role.connection_limit.unwrap_or(-1);
        if limit != live.map(|l| i64::from(l.connection_limit)).unwrap_or(-1) {
            options.push(format!("CONNECTION LIMIT {limit}"));
        }
        if self.want_expiry != self.have_expiry {
            options.push(match (&role.valid_until, self.want_expiry) {
                (Some(v), Some(_)) => format!("VALID UNTIL {}", literal(v)),
                _ => "VALID UNTIL 'infinity'".to_string(),
            });
        }
        let with = if options.is_empty() { String::new() } else { format!(" WITH {}", options.join(" ")) };
        match live {
            None => {
                plan.push(Change::new(PlanPhase::CreateRoles, format!("CREATE ROLE {name}{with};")));
                plan.creates.push(role.name.clone());
            }
            Some(_) if !options.is_empty() => {
                plan.push(Change::new(PlanPhase::Attributes, format!("ALTER ROLE {name}{with};")))
            }
            Some(_) => {}
        }
        if live.is_none() {
            // Passwords are never read back, so they are set when the role is created only.
            if let Some(c) = password_change(role) {
                plan.push(c);
            }
        }
        self.settings.plan(&role.name, plan);
        let have_comment = live.and_then(|l| l.comment.as_deref());
        if role.comment.as_deref() != have_comment {
            let value = role.comment.as_deref().map(literal).unwrap_or_else(|| "NULL".to_string());
            plan.push(Change::new(PlanPhase::Comments, format!("COMMENT ON ROLE {name} IS {value};")));
        }
    }

    /// Findings for the role and its settings, and the role as the plan leaves it.
    pub fn audit(&self, findings: &mut Vec<Finding>) -> LiveRole {
        let (role, live) = (self.role, self.live);
        let who = role.name.as_str();
        let mut wanted = LiveRole {
            name: role.name.clone(),
            connection_limit: role.connection_limit.unwrap_or(-1) as i32,
            comment: role.comment.clone(),
            ..LiveRole::default()
        };
        if self.want_expiry.is_some() {
            wanted.valid_until.clone_from(&role.valid_until);
        }
        let actual = if live.is_some() { "present" } else { "missing" };
        findings.push(Finding::new(live.is_some(), who, "role", "present", actual));
        for a in &self.attributes {
            set_attribute(&mut wanted, a.kind, a.want);
            if let Some(have) = a.have {
                if a.stated || a.want != have {
                    let word = |v: bool| if v { a.on } else { a.off };
                    let item = format!("attribute {}", a.on.to_ascii_lowercase());
                    findings.push(Finding::new(a.want == have, who, item, word(a.want), word(have)));
                }
            }
        }
        if let Some(l) = live {
            let limit = |v: i64| if v < 0 { "no limit".to_string() } else { v.to_string() };
            if role.connection_limit.is_some() || wanted.connection_limit != l.connection_limit {
                findings.push(Finding::new(
                    wanted.connection_limit == l.connection_limit,
                    who,
                    "connection limit",
                    limit(wanted.connection_limit.into()),
                    limit(l.connection_limit.into()),
                ));
            }
            let (want, have) = (self.want_expiry, self.have_expiry);
            if role.valid_until.is_some() || want != have {
                let text = |v: Option<&str>, e: Option<i64>| {
                    if e.is_some() {
                        v.unwrap_or_default().to_string()
                    } else {
                        "infinity".to_string()
                    }
                };
                findings.push(Finding::new(
                    want == have,
                    who,
                    "valid until",
                    text(role.valid_until.as_deref(), want),
                    text(l.valid_until.as_deref(), have),
                ));
            }
            let have_comment = l.comment.as_deref();
            if role.comment.is_some() || role.comment.as_deref() != have_comment {
                let text = |c: Option<&str>| c.map(|c| format!("{c:?}")).unwrap_or_else(|| "none".to_string());
                findings.push(Finding::new(
                    role.comment.as_deref() == have_comment,
                    who,
                    "comment",
                    text(role.comment.as_deref()),
                    text(have_comment),
                ));
            }
        }
        wanted.settings = self.settings.audit(who, findings);
        wanted
    }
}

/// The password statement of a new role: an SQL comment in the plan; `rolec apply` runs
/// the real statement.
fn password_change(role: &Role) -> Option<Change> {
    let password = match role.password.as_ref()? {
        PasswordSource::Secret { env, .. } => PasswordFrom::Env { role: role.name.clone(), env: env.clone() },
        PasswordSource::Verifier(v) => PasswordFrom::Verifier { role: role.name.clone(), verifier: v.clone() },
    };
    let from = match &password {
        PasswordFrom::Env { env, .. } => format!("environment variable {env}"),
        PasswordFrom::Verifier { .. } => "the policy's SCRAM verifier".to_string(),
    };
    // A comment, so that the plan piped to psql never sets a placeholder password.
    let name = ident(&role.name);
    let mut c = Change::new(
        PlanPhase::Attributes,
        comment(&format!("ALTER ROLE {name} PASSWORD …; (run by `rolec apply`, from {from}; not shown)")),
    );
    c.password = Some(password);
    Some(c)
}
