//! The difference between a policy and a live server, as the statements that make the server
//! match the policy ("a plan").
//!
//! Only the difference is emitted: a role whose privileges changed is altered, granted and
//! revoked, never dropped and re-created. Bulk grants (`… in schema S`) are expanded over the
//! objects that exist in the live database; object privileges are compared per object,
//! grantee and privilege, with the built-in defaults of NULL ACLs expanded (by the server,
//! see `introspect`) and those of absent global default-privilege entries expanded here.
//!
//! Order: create roles → attributes, settings and passwords → revoke memberships → grant
//! memberships → default privileges → object privileges (grants, then revokes) → comments →
//! drop roles. Memberships are revoked before they are granted so that turning an edge
//! around never makes a cycle; a plan runs in one transaction, so nobody sees the gap.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;

use super::scope::Scope;
use super::settings;
use super::state::{
    AclItem, LiveDefaultAcl, LiveMembership, LiveObject, LivePrivilege, LiveRole, LiveSetting, LiveState,
};
use crate::lower::sql::{comment, ident, literal, qualified};
use crate::model::sqltype::{canonical_type, same_type_unqualified};
use crate::model::{DefaultPrivilege, Grantee, Model, Object, PasswordSource, Role};
use crate::syntax::ast::{AttributeKind, BulkKind, DefaultKind, Privilege};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    CreateRoles,
    Attributes,
    RevokeMemberships,
    GrantMemberships,
    DefaultPrivileges,
    ObjectPrivileges,
    Comments,
    DropRoles,
}

/// One statement of a plan.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Change {
    pub phase: Phase,
    /// The statement. For a password it is an SQL comment that shows no secret: the
    /// statement that runs is made by [`Change::executable`].
    pub sql: String,
    /// Drops a role (needs `--allow-drop` to apply).
    pub destructive: bool,
    /// Why the statement is there, when that is not obvious.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// For `ALTER ROLE … PASSWORD`: where the password comes from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<PasswordFrom>,
    /// For `DROP ROLE`: the role dropped.
    #[serde(skip)]
    pub drops_role: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case", tag = "from")]
pub enum PasswordFrom {
    /// `password secret("ENV")`.
    Env { role: String, env: String },
    /// `password scram "…"`.
    Verifier {
        role: String,
        #[serde(skip)]
        verifier: String,
    },
}

impl Change {
    fn new(phase: Phase, sql: String) -> Change {
        Change { phase, sql, destructive: false, note: None, password: None, drops_role: None }
    }

    /// The statement to run; a password is read through `secret` (an environment variable
    /// name → its value) and turned into a SCRAM verifier.
    pub fn executable(&self, secret: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
        match &self.password {
            None => Ok(self.sql.clone()),
            Some(PasswordFrom::Verifier { role, verifier }) => {
                Ok(format!("ALTER ROLE {} PASSWORD {};", ident(role), literal(verifier)))
            }
            Some(PasswordFrom::Env { role, env }) => {
                let password = secret(env).filter(|p| !p.is_empty()).ok_or_else(|| {
                    format!("environment variable `{env}` (the password of `{role}`) is not set or empty")
                })?;
                let salt = crate::lower::scram::deterministic_salt(role, &password);
                let verifier = crate::lower::scram::verifier(&password, &salt, crate::lower::scram::DEFAULT_ITERATIONS);
                Ok(format!("ALTER ROLE {} PASSWORD {};", ident(role), literal(&verifier)))
            }
        }
    }
}

/// The statements, in order, and what the plan cannot do by itself.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub struct ChangePlan {
    pub changes: Vec<Change>,
    /// Things the plan leaves alone.
    pub warnings: Vec<String>,
    /// Why the plan cannot be applied as it is (a role to drop owns objects); `apply` refuses.
    pub blockers: Vec<String>,
}

impl ChangePlan {
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    pub fn is_destructive(&self) -> bool {
        self.changes.iter().any(|c| c.destructive)
    }

    /// SHA-256 of the statements as shown (passwords never enter it), hex.
    pub fn hash(&self) -> String {
        statements_hash(self.changes.iter().map(|c| c.sql.as_str()))
    }
}

/// [`ChangePlan::hash`] of statements as shown: also how a saved plan's listed changes are
/// checked against the hash saved with them.
pub fn statements_hash<'a>(statements: impl IntoIterator<Item = &'a str>) -> String {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    for sql in statements {
        h.update(sql.as_bytes());
        h.update(b"\n");
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Computes the plan that makes `live` match `model` within `scope`.
pub fn diff(model: &Model, live: &LiveState, scope: &Scope) -> ChangePlan {
    run(model, live, scope, false).plan
}

/// Whether a checked item matches the policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Present as the policy says (✓).
    Ok,
    /// Missing, different, or present when the policy says it should not be (✗).
    Drift,
    /// Access of a role the policy does not know to what the policy manages (?).
    Unknown,
}

/// One item of a drift audit: what the policy expects and what the database has.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Finding {
    pub status: Status,
    /// The role the item belongs to (`PUBLIC` for what the policy says about PUBLIC).
    pub role: String,
    /// What is compared: `role`, `attribute login`, `member of r`, `TABLE "s"."t"`, …
    pub item: String,
    pub expected: String,
    pub actual: String,
}

/// The same comparison as [`diff`], item by item, and the state the plan leads to.
#[derive(Clone, Debug)]
pub struct Audit {
    pub plan: ChangePlan,
    /// Every compared item, in the order the plan compares them, then unknown roles' access.
    pub findings: Vec<Finding>,
    /// The state `live` is in once the plan has run (what the policy wants, within the scope).
    pub desired: LiveState,
}

/// Compares `model` with `live` within `scope` item by item ([`Finding`]s), computes the plan,
/// and the state it leads to. Roles outside the scope, not `postgres`/`pg_*`/the connecting
/// role and not declared (even as `external role`), with privileges on objects of the schemas
/// the policy names or membership in a managed role, are [`Status::Unknown`].
pub fn audit(model: &Model, live: &LiveState, scope: &Scope) -> Audit {
    let mut a = run(model, live, scope, true);
    let mut schemas: BTreeSet<&str> = model.schemas.iter().map(|s| s.name.as_str()).collect();
    schemas.extend(model.default_privileges.iter().filter_map(|d| d.schema.as_deref()));
    schemas.extend(model.grants.iter().filter_map(|g| g.object.schema()));
    let declared: BTreeSet<&str> =
        model.roles.iter().map(|r| r.name.as_str()).chain(model.external_roles.iter().map(String::as_str)).collect();
    let known = |r: &str| declared.contains(r) || scope.manages(r) || scope.is_protected(r);
    let mut access: BTreeMap<(String, String), BTreeMap<String, bool>> = BTreeMap::new();
    for p in &live.privileges {
        let Some(g) = &p.grantee else { continue };
        let schema = match &p.object {
            LiveObject::Schema { name } => Some(name),
            LiveObject::Database { .. } => None,
            LiveObject::Table { schema, .. }
            | LiveObject::Sequence { schema, .. }
            | LiveObject::Column { schema, .. }
            | LiveObject::Routine { schema, .. }
            | LiveObject::Type { schema, .. }
            | LiveObject::Domain { schema, .. } => Some(schema),
        };
        if known(g) || *g == p.owner || !schema.is_some_and(|s| schemas.contains(s.as_str())) {
            continue;
        }
        access
            .entry((g.clone(), Key::of(&p.object).label(Some(&p.object))))
            .or_default()
            .insert(p.privilege.clone(), p.grantable);
    }
    for ((role, item), privs) in access {
        a.findings.push(Finding {
            status: Status::Unknown,
            role,
            item,
            expected: "no access".to_string(),
            actual: privileges_text(&privs),
        });
    }
    for m in &live.memberships {
        if scope.manages(&m.role) && !known(&m.member) {
            a.findings.push(Finding {
                status: Status::Unknown,
                role: m.member.clone(),
                item: format!("member of {}", m.role),
                expected: "not a member".to_string(),
                actual: "granted".to_string(),
            });
        }
    }
    a
}

fn run(model: &Model, live: &LiveState, scope: &Scope, audit: bool) -> Audit {
    let desired = if audit { live.clone() } else { LiveState::default() };
    let live_roles = live.roles.iter().map(|r| (r.name.as_str(), r)).collect();
    let model_roles = model.roles.iter().map(|r| (r.name.as_str(), &**r)).collect();
    let mut d = Differ {
        model,
        live,
        scope,
        major: live.major(),
        plan: ChangePlan::default(),
        audit,
        findings: Vec::new(),
        desired,
        wanted_roles: BTreeMap::new(),
        live_roles,
        model_roles,
    };
    d.roles();
    d.memberships();
    d.default_privileges();
    d.object_privileges();
    d.drops();
    let wanted = std::mem::take(&mut d.wanted_roles);
    d.desired.roles.retain(|r| !wanted.contains_key(&r.name));
    d.desired.roles.extend(wanted.into_values());
    let mut plan = d.plan;
    plan.changes.sort_by_key(|c| c.phase); // stable: keeps the order within a phase
    Audit { plan, findings: d.findings, desired: d.desired }
}

struct Differ<'a> {
    model: &'a Model,
    live: &'a LiveState,
    scope: &'a Scope,
    major: u32,
    plan: ChangePlan,
    /// Whether to record findings and the desired state.
    audit: bool,
    findings: Vec<Finding>,
    desired: LiveState,
    /// The roles of the policy in scope as the plan leaves them (merged into `desired`).
    wanted_roles: BTreeMap<String, LiveRole>,
    /// Indexes by name (thousands of roles).
    live_roles: HashMap<&'a str, &'a LiveRole>,
    model_roles: HashMap<&'a str, &'a Role>,
}

/// A privilege set as a check shows it: `INSERT (grantable), SELECT`, or `none`.
fn privileges_text(privs: &BTreeMap<String, bool>) -> String {
    if privs.is_empty() {
        return "none".to_string();
    }
    privs.iter().map(|(p, o)| if *o { format!("{p} (grantable)") } else { p.clone() }).collect::<Vec<_>>().join(", ")
}

fn grantee_name(g: &Option<String>) -> String {
    g.clone().unwrap_or_else(|| "PUBLIC".to_string())
}

const ATTRIBUTES: [(AttributeKind, bool, &str, &str); 7] = crate::lower::ATTRIBUTE_KEYWORDS;

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

fn wanted_attribute(r: &Role, kind: AttributeKind, default: bool) -> bool {
    r.attributes.get(&kind).copied().unwrap_or(default)
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

/// A configuration parameter name (letters, digits, `_`, `.`; checked by the grammar).
fn setting_name(param: &str) -> String {
    param
        .split('.')
        .map(|part| {
            if !part.is_empty() && part.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') {
                part.to_string()
            } else {
                ident(part)
            }
        })
        .collect::<Vec<_>>()
        .join(".")
}

fn grantee_sql(g: &Option<String>) -> String {
    match g {
        None => "PUBLIC".to_string(),
        Some(r) => ident(r),
    }
}

impl Differ<'_> {
    fn push(&mut self, c: Change) {
        self.plan.changes.push(c);
    }

    fn finding(&mut self, ok: bool, role: &str, item: String, expected: String, actual: String) {
        let status = if ok { Status::Ok } else { Status::Drift };
        self.findings.push(Finding { status, role: role.to_string(), item, expected, actual });
    }

    /// Records the role's attributes as findings and its wanted form in the desired state.
    fn audit_role(&mut self, role: &Role, live: Option<&LiveRole>) {
        let who = role.name.as_str();
        let mut wanted = LiveRole {
            name: role.name.clone(),
            connection_limit: role.connection_limit.unwrap_or(-1) as i32,
            comment: role.comment.clone(),
            ..LiveRole::default()
        };
        if expiry(role.valid_until.as_deref()).is_some() {
            wanted.valid_until.clone_from(&role.valid_until);
        }
        match live {
            None => self.finding(false, who, "role".to_string(), "present".to_string(), "missing".to_string()),
            Some(_) => self.finding(true, who, "role".to_string(), "present".to_string(), "present".to_string()),
        }
        for (kind, default, on, off) in ATTRIBUTES {
            let want = wanted_attribute(role, kind, default);
            set_attribute(&mut wanted, kind, want);
            if let Some(l) = live {
                let have = live_attribute(l, kind);
                if role.attributes.contains_key(&kind) || want != have {
                    let word = |v: bool| if v { on } else { off }.to_string();
                    self.finding(
                        want == have,
                        who,
                        format!("attribute {}", on.to_ascii_lowercase()),
                        word(want),
                        word(have),
                    );
                }
            }
        }
        match live {
            None => {}
            Some(l) => {
                let limit = |v: i64| if v < 0 { "no limit".to_string() } else { v.to_string() };
                if role.connection_limit.is_some() || wanted.connection_limit != l.connection_limit {
                    self.finding(
                        wanted.connection_limit == l.connection_limit,
                        who,
                        "connection limit".to_string(),
                        limit(wanted.connection_limit.into()),
                        limit(l.connection_limit.into()),
                    );
                }
                let (want, have) = (expiry(role.valid_until.as_deref()), expiry(l.valid_until.as_deref()));
                if role.valid_until.is_some() || want != have {
                    let text = |v: Option<&str>, e: Option<i64>| {
                        if e.is_some() {
                            v.unwrap_or_default().to_string()
                        } else {
                            "infinity".to_string()
                        }
                    };
                    self.finding(
                        want == have,
                        who,
                        "valid until".to_string(),
                        text(role.valid_until.as_deref(), want),
                        text(l.valid_until.as_deref(), have),
                    );
                }
                let have_comment = l.comment.as_deref();
                if role.comment.is_some() || role.comment.as_deref() != have_comment {
                    let text = |c: Option<&str>| c.map(|c| format!("{c:?}")).unwrap_or_else(|| "none".to_string());
                    self.finding(
                        role.comment.as_deref() == have_comment,
                        who,
                        "comment".to_string(),
                        text(role.comment.as_deref()),
                        text(have_comment),
                    );
                }
            }
        }
        self.wanted_roles.insert(role.name.clone(), wanted);
    }

    // ---- roles -------------------------------------------------------------------------------

    fn roles(&mut self) {
        for role in &self.model.roles {
            if self.scope.is_protected(&role.name) {
                self.plan.warnings.push(format!(
                    "role `{}` is left alone: rolec never changes `postgres`, `pg_*` roles or the role it connects as",
                    role.name
                ));
            }
        }
        let (model, scope) = (self.model, self.scope);
        for role in model.roles.iter().filter(|r| scope.manages(&r.name)) {
            let name = ident(&role.name);
            let live = self.live_roles.get(role.name.as_str()).copied();
            let mut options = Vec::new();
            for (kind, default, on, off) in ATTRIBUTES {
                let want = wanted_attribute(role, kind, default);
                let have = live.map(|l| live_attribute(l, kind)).unwrap_or(default);
                if want != have {
                    options.push(if want { on } else { off }.to_string());
                }
            }
            let limit = role.connection_limit.unwrap_or(-1);
            if limit != live.map(|l| i64::from(l.connection_limit)).unwrap_or(-1) {
                options.push(format!("CONNECTION LIMIT {limit}"));
            }
            let want_expiry = expiry(role.valid_until.as_deref());
            if want_expiry != live.and_then(|l| expiry(l.valid_until.as_deref())) {
                options.push(match (&role.valid_until, want_expiry) {
                    (Some(v), Some(_)) => format!("VALID UNTIL {}", literal(v)),
                    _ => "VALID UNTIL 'infinity'".to_string(),
                });
            }
            let with = if options.is_empty() { String::new() } else { format!(" WITH {}", options.join(" ")) };
            match live {
                None => self.push(Change::new(Phase::CreateRoles, format!("CREATE ROLE {name}{with};"))),
                Some(_) if !options.is_empty() => {
                    self.push(Change::new(Phase::Attributes, format!("ALTER ROLE {name}{with};")))
                }
                Some(_) => {}
            }
            if live.is_none() {
                // Passwords are never read back, so they are set when the role is created only.
                let password = match &role.password {
                    Some(PasswordSource::Secret { env, .. }) => {
                        Some(PasswordFrom::Env { role: role.name.clone(), env: env.clone() })
                    }
                    Some(PasswordSource::Verifier(v)) => {
                        Some(PasswordFrom::Verifier { role: role.name.clone(), verifier: v.clone() })
                    }
                    None => None,
                };
                if let Some(p) = password {
                    let from = match &p {
                        PasswordFrom::Env { env, .. } => format!("environment variable {env}"),
                        PasswordFrom::Verifier { .. } => "the policy's SCRAM verifier".to_string(),
                    };
                    // A comment, so that the plan piped to psql never sets a placeholder password.
                    let mut c = Change::new(
                        Phase::Attributes,
                        comment(&format!(
                            "ALTER ROLE {name} PASSWORD …; (run by `rolec apply`, from {from}; not shown)"
                        )),
                    );
                    c.password = Some(p);
                    self.push(c);
                }
            }
            if self.audit {
                self.audit_role(role, live);
            }
            self.settings(role, live);
            let have_comment = live.and_then(|l| l.comment.as_deref());
            if role.comment.as_deref() != have_comment {
                let value = role.comment.as_deref().map(literal).unwrap_or_else(|| "NULL".to_string());
                self.push(Change::new(Phase::Comments, format!("COMMENT ON ROLE {name} IS {value};")));
            }
        }
    }

    fn settings(&mut self, role: &Role, live: Option<&LiveRole>) {
        // (database, parameter) → the values of the last `set` of it
        let mut want: BTreeMap<(Option<String>, String), &[String]> = BTreeMap::new();
        for s in &role.settings {
            want.insert((s.database.clone(), s.param.to_ascii_lowercase()), &s.values);
        }
        // (database, parameter) → the value as stored
        let have: BTreeMap<(Option<String>, String), String> = live
            .map(|l| {
                l.settings
                    .iter()
                    .map(|s| ((s.database.clone(), s.param.to_ascii_lowercase()), s.value.clone()))
                    .collect()
            })
            .unwrap_or_default();
        let same = |key: &(Option<String>, String), values: &[String]| {
            have.get(key).is_some_and(|stored| settings::same_setting(&key.1, values, stored))
        };
        let name = ident(&role.name);
        let scope = |db: &Option<String>| db.as_ref().map(|d| format!(" IN DATABASE {}", ident(d))).unwrap_or_default();
        if self.audit {
            let item = |(db, param): &(Option<String>, String)| {
                format!("setting {param}{}", db.as_ref().map(|d| format!(" in database {d}")).unwrap_or_default())
            };
            for (key, values) in &want {
                let expected = settings::stored_form(&key.1, values);
                self.finding(
                    same(key, values),
                    &role.name,
                    item(key),
                    expected,
                    have.get(key).cloned().unwrap_or_else(|| "unset".to_string()),
                );
            }
            for (key, value) in &have {
                if !want.contains_key(key) {
                    self.finding(false, &role.name, item(key), "unset".to_string(), value.clone());
                }
            }
            // What the server will store; a setting that is already right stays as stored.
            let wanted = want.iter().map(|(key, values)| {
                let value = if same(key, values) { have[key].clone() } else { settings::stored_form(&key.1, values) };
                LiveSetting { database: key.0.clone(), param: key.1.clone(), value }
            });
            let wanted = wanted.collect();
            if let Some(r) = self.wanted_roles.get_mut(&role.name) {
                r.settings = wanted;
            }
        }
        for s in &role.settings {
            let key = (s.database.clone(), s.param.to_ascii_lowercase());
            if same(&key, &s.values) || !want.get(&key).is_some_and(|w| std::ptr::eq(*w, s.values.as_slice())) {
                continue; // unchanged, or overridden by a later `set` of the same parameter
            }
            let values: Vec<String> =
                if s.values.is_empty() { vec![literal("")] } else { s.values.iter().map(|v| literal(v)).collect() };
            self.push(Change::new(
                Phase::Attributes,
                format!(
                    "ALTER ROLE {name}{} SET {} = {};",
                    scope(&s.database),
                    setting_name(&s.param),
                    values.join(", ")
                ),
            ));
        }
        for (db, param) in have.keys() {
            if !want.contains_key(&(db.clone(), param.clone())) {
                self.push(Change::new(
                    Phase::Attributes,
                    format!("ALTER ROLE {name}{} RESET {};", scope(db), setting_name(param)),
                ));
            }
        }
    }

    // ---- memberships -------------------------------------------------------------------------

    fn memberships(&mut self) {
        let v16 = self.major >= 16;
        let me = self.live.current_user.clone();
        let granted_by = |grantor: &Option<String>| match grantor {
            Some(g) if v16 && *g != me => format!(" GRANTED BY {}", ident(g)),
            _ => String::new(),
        };
        // Wanted (role, member) → (admin, inherit, set), for members in scope.
        let mut want: BTreeMap<(String, String), (bool, bool, bool)> = BTreeMap::new();
        for m in self.model.memberships.iter().filter(|m| m.active && self.scope.manages(&m.member)) {
            let member_inherit = self
                .model_roles
                .get(m.member.as_str())
                .map(|r| wanted_attribute(r, AttributeKind::Inherit, true))
                .unwrap_or(true);
            let e = want.entry((m.role.clone(), m.member.clone())).or_insert((
                false,
                m.inherit.unwrap_or(member_inherit),
                m.set.unwrap_or(true),
            ));
            e.0 |= m.admin;
        }
        let mut have: BTreeMap<(String, String), Vec<&super::state::LiveMembership>> = BTreeMap::new();
        for m in &self.live.memberships {
            if self.scope.manages(&m.member) && !self.dropped(&m.member) && !self.dropped(&m.role) {
                have.entry((m.role.clone(), m.member.clone())).or_default().push(m);
            }
        }
        if self.audit {
            self.audit_memberships(&want, &have);
        }
        for ((role, member), rows) in &have {
            if !want.contains_key(&(role.clone(), member.clone())) {
                // Revoking from a user is destructive, unless the policy's time window for it closed.
                let expired =
                    self.model.memberships.iter().any(|m| !m.active && m.role == *role && m.member == *member);
                let user = self.live.role(member).is_some_and(|r| r.login) && !expired;
                let mut grantors: Vec<&Option<String>> = rows.iter().map(|r| &r.grantor).collect();
                grantors.dedup();
                if !v16 {
                    grantors.truncate(1);
                }
                for g in grantors {
                    let sql = format!("REVOKE {} FROM {}{};", ident(role), ident(member), granted_by(g));
                    let mut c = Change::new(Phase::RevokeMemberships, sql);
                    if user {
                        c.destructive = true;
                        c.note = Some(format!("revokes a membership from the login role `{member}` (a user)"));
                    }
                    self.push(c);
                }
            }
        }
        for ((role, member), (admin, inherit, set)) in &want {
            let (r, m) = (ident(role), ident(member));
            let Some(rows) = have.get(&(role.clone(), member.clone())) else {
                let mut options = Vec::new();
                if v16 {
                    if *admin {
                        options.push("ADMIN TRUE".to_string());
                    }
                    options.push(format!("INHERIT {}", if *inherit { "TRUE" } else { "FALSE" }));
                    options.push(format!("SET {}", if *set { "TRUE" } else { "FALSE" }));
                } else if *admin {
                    options.push("ADMIN OPTION".to_string());
                }
                let with = if options.is_empty() { String::new() } else { format!(" WITH {}", options.join(", ")) };
                self.push(Change::new(Phase::GrantMemberships, format!("GRANT {r} TO {m}{with};")));
                continue;
            };
            // The membership exists (on 16+ maybe from several grantors): fix its options.
            if *admin && !rows.iter().any(|x| x.admin) {
                self.push(Change::new(
                    Phase::GrantMemberships,
                    format!("GRANT {r} TO {m} WITH ADMIN {};", if v16 { "TRUE" } else { "OPTION" }),
                ));
            }
            for row in rows {
                let by = granted_by(&row.grantor);
                if !*admin && row.admin {
                    self.push(Change::new(
                        Phase::RevokeMemberships,
                        format!("REVOKE ADMIN OPTION FOR {r} FROM {m}{by};"),
                    ));
                }
                if !v16 {
                    continue;
                }
                for (option, want, have) in [("INHERIT", *inherit, row.inherit), ("SET", *set, row.set)] {
                    if want && !have {
                        self.push(Change::new(
                            Phase::GrantMemberships,
                            format!("GRANT {r} TO {m} WITH {option} TRUE{by};"),
                        ));
                    } else if !want && have {
                        self.push(Change::new(
                            Phase::RevokeMemberships,
                            format!("REVOKE {option} OPTION FOR {r} FROM {m}{by};"),
                        ));
                    }
                }
            }
        }
    }

    /// Findings for memberships, and the memberships of the desired state.
    #[allow(clippy::type_complexity)]
    fn audit_memberships(
        &mut self,
        want: &BTreeMap<(String, String), (bool, bool, bool)>,
        have: &BTreeMap<(String, String), Vec<&super::state::LiveMembership>>,
    ) {
        let v16 = self.major >= 16;
        let text = |admin: bool, inherit: bool, set: bool| {
            if v16 {
                format!("granted (admin {admin}, inherit {inherit}, set {set})")
            } else {
                format!("granted (admin {admin})")
            }
        };
        // Admin counts when any grantor's row has it; inherit and set are fixed row by row, so
        // rows that disagree are `mixed`.
        let options_text = |rows: &Vec<&LiveMembership>| {
            let admin = rows.iter().any(|r| r.admin);
            if !v16 {
                return format!("granted (admin {admin})");
            }
            let all = |f: &dyn Fn(&LiveMembership) -> bool| match (rows.iter().all(|r| f(r)), rows.iter().any(|r| f(r)))
            {
                (true, _) => "true",
                (false, false) => "false",
                (false, true) => "mixed",
            };
            format!("granted (admin {admin}, inherit {}, set {})", all(&|r| r.inherit), all(&|r| r.set))
        };
        for ((role, member), (admin, inherit, set)) in want {
            let expected = text(*admin, *inherit, *set);
            let actual = match have.get(&(role.clone(), member.clone())) {
                Some(rows) => options_text(rows),
                None => "not granted".to_string(),
            };
            self.finding(expected == actual, member, format!("member of {role}"), expected, actual);
        }
        for ((role, member), rows) in have {
            if !want.contains_key(&(role.clone(), member.clone())) {
                let actual = options_text(rows);
                self.finding(false, member, format!("member of {role}"), "not granted".to_string(), actual);
            }
        }
        let mut kept: Vec<LiveMembership> = self
            .live
            .memberships
            .iter()
            .filter(|m| !self.scope.manages(&m.member) && !self.dropped(&m.role) && !self.dropped(&m.member))
            .cloned()
            .collect();
        for ((role, member), (admin, inherit, set)) in want {
            let grantors: Vec<Option<String>> = match have.get(&(role.clone(), member.clone())) {
                Some(rows) => rows.iter().map(|r| r.grantor.clone()).collect(),
                None => vec![Some(self.live.current_user.clone())],
            };
            for (i, grantor) in grantors.into_iter().enumerate() {
                kept.push(LiveMembership {
                    role: role.clone(),
                    member: member.clone(),
                    grantor,
                    admin: *admin && i == 0,
                    inherit: *inherit,
                    set: *set,
                });
            }
        }
        self.desired.memberships = kept;
    }

    fn dropped(&self, role: &str) -> bool {
        self.scope.is_undeclared(role) && self.live_roles.contains_key(role)
    }

    // ---- default privileges ------------------------------------------------------------------

    fn default_privileges(&mut self) {
        type Key = (String, Option<String>, String);
        // (owner, schema, kind) → grantee → privilege → grantable
        type Acl = BTreeMap<Option<String>, BTreeMap<String, bool>>;
        let mut want: BTreeMap<Key, Acl> = BTreeMap::new();
        let mut mentioned: BTreeSet<(Key, Option<String>)> = BTreeSet::new();
        let mut have: BTreeMap<Key, Acl> = BTreeMap::new();
        for e in &self.live.default_privileges {
            let acl = have.entry((e.owner.clone(), e.schema.clone(), e.kind.clone())).or_default();
            for item in &e.acl {
                acl.entry(item.grantee.clone()).or_default().insert(item.privilege.clone(), item.grantable);
            }
        }
        let model: Vec<&DefaultPrivilege> = self.model.default_privileges.iter().collect();
        for d in &model {
            let key = (d.owner.clone(), d.schema.clone(), default_kind(d.kind).to_string());
            want.entry(key.clone()).or_insert_with(|| {
                if d.schema.is_none() {
                    builtin_default_acl(&key.2, &key.0, self.major)
                } else {
                    Acl::new()
                }
            });
            let grantee = match &d.grantee {
                Grantee::Public => None,
                Grantee::Role(r) => Some(r.clone()),
            };
            mentioned.insert((key, grantee));
        }
        for d in &model {
            let key = (d.owner.clone(), d.schema.clone(), default_kind(d.kind).to_string());
            let grantee = match &d.grantee {
                Grantee::Public => None,
                Grantee::Role(r) => Some(r.clone()),
            };
            let privileges = expand(&d.privileges, kind_privileges(&key.2, self.major));
            let acl = want.entry(key).or_default().entry(grantee).or_default();
            for p in privileges {
                if d.revoke {
                    acl.remove(&p);
                } else {
                    let e = acl.entry(p).or_insert(false);
                    *e |= d.grant_option;
                }
            }
        }
        // Entries that exist only live: the policy wants the built-in default (global) or
        // nothing (per schema) there.
        for key in have.keys() {
            if !want.contains_key(key) {
                let acl = if key.1.is_none() { builtin_default_acl(&key.2, &key.0, self.major) } else { Acl::new() };
                want.insert(key.clone(), acl);
            }
        }
        let mut desired: Vec<LiveDefaultAcl> = Vec::new();
        for (key, want_acl) in &want {
            let have_acl = match have.get(key) {
                Some(acl) => acl.clone(),
                None if key.1.is_none() => builtin_default_acl(&key.2, &key.0, self.major),
                None => Acl::new(),
            };
            let mut result = have_acl.clone();
            let grantees: BTreeSet<&Option<String>> = want_acl.keys().chain(have_acl.keys()).collect();
            let (owner, schema, kind) = key;
            let head = format!(
                "ALTER DEFAULT PRIVILEGES FOR ROLE {}{}",
                ident(owner),
                schema.as_ref().map(|s| format!(" IN SCHEMA {}", ident(s))).unwrap_or_default()
            );
            let kind_sql = kind.to_ascii_uppercase().replace('_', " ");
            for g in grantees {
                let in_scope = match g {
                    Some(r) => self.scope.manages(r) || mentioned.contains(&(key.clone(), g.clone())),
                    None => mentioned.contains(&(key.clone(), None)),
                };
                if !in_scope {
                    continue;
                }
                let empty = BTreeMap::new();
                let (w, h) = (want_acl.get(g).unwrap_or(&empty), have_acl.get(g).unwrap_or(&empty));
                if self.audit {
                    let both_empty = w.is_empty() && h.is_empty();
                    let owner_unchanged = g.as_deref() == Some(owner.as_str()) && w == h;
                    if !both_empty && !owner_unchanged {
                        let item = format!(
                            "default privileges on {kind} for role {owner}{}",
                            schema.as_ref().map(|s| format!(" in schema {s}")).unwrap_or_default()
                        );
                        self.finding(w == h, &grantee_name(g), item, privileges_text(w), privileges_text(h));
                    }
                    if w.is_empty() {
                        result.remove(g);
                    } else {
                        result.insert(g.clone(), w.clone());
                    }
                }
                let to = grantee_sql(g);
                for (privs, option) in grants_needed(w, h) {
                    let with = if option { " WITH GRANT OPTION" } else { "" };
                    self.push(Change::new(
                        Phase::DefaultPrivileges,
                        format!("{head} GRANT {} ON {kind_sql} TO {to}{with};", privs.join(", ")),
                    ));
                }
                for (privs, option_only) in revokes_needed(w, h) {
                    let what = if option_only { "GRANT OPTION FOR " } else { "" };
                    self.push(Change::new(
                        Phase::DefaultPrivileges,
                        format!("{head} REVOKE {what}{} ON {kind_sql} FROM {to};", privs.join(", ")),
                    ));
                }
            }
            // The server removes an entry that stands for the built-in default (or for nothing).
            let builtin = if schema.is_none() { builtin_default_acl(kind, owner, self.major) } else { Acl::new() };
            if self.audit && result != builtin {
                let acl = result
                    .iter()
                    .flat_map(|(g, privs)| {
                        privs.iter().map(move |(p, o)| AclItem {
                            grantee: g.clone(),
                            privilege: p.clone(),
                            grantable: *o,
                        })
                    })
                    .collect();
                desired.push(LiveDefaultAcl { owner: owner.clone(), schema: schema.clone(), kind: kind.clone(), acl });
            }
        }
        if self.audit {
            self.desired.default_privileges = desired;
        }
    }

    // ---- object privileges -------------------------------------------------------------------

    fn object_privileges(&mut self) {
        // Live objects, by key, with their SQL form.
        let mut objects: BTreeMap<Key, LiveObject> = BTreeMap::new();
        let mut owners: BTreeMap<Key, String> = BTreeMap::new();
        // (object, grantee) → privilege → grantable; only what the owner granted to others.
        let mut have: BTreeMap<(Key, Option<String>), BTreeMap<String, bool>> = BTreeMap::new();
        for p in &self.live.privileges {
            let key = Key::of(&p.object);
            objects.entry(key.clone()).or_insert_with(|| p.object.clone());
            owners.entry(key.clone()).or_insert_with(|| p.owner.clone());
            if p.grantee.as_deref() == Some(p.owner.as_str()) || p.grantor != p.owner {
                continue;
            }
            have.entry((key, p.grantee.clone())).or_default().insert(p.privilege.clone(), p.grantable);
        }
        let mut want: BTreeMap<(Key, Option<String>), BTreeMap<String, bool>> = BTreeMap::new();
        let mut mentioned: BTreeSet<(Key, Option<String>)> = BTreeSet::new();
        let mut revoked: BTreeMap<(Key, Option<String>), BTreeSet<String>> = BTreeMap::new();
        // Routines by (schema, name, normalized argument types), for grants that name one.
        let mut routines: HashMap<(&str, &str, Vec<String>), &Key> = HashMap::new();
        for k in objects.keys().filter(|k| k.kind == KeyKind::Routine) {
            routines.entry((k.schema.as_deref().unwrap_or_default(), k.name.as_str(), k.args.clone())).or_insert(k);
        }
        for g in &self.model.grants {
            let grantee = match &g.grantee {
                Grantee::Public => None,
                Grantee::Role(r) if self.scope.manages(r) => Some(r.clone()),
                Grantee::Role(_) => continue,
            };
            for (key, privs) in self.expand_object(&g.object, &g.privileges, &objects, &routines) {
                if grantee.is_none() {
                    // Managed grantees are compared whole; PUBLIC only where mentioned.
                    mentioned.insert((key.clone(), None));
                }
                if g.revoke {
                    revoked.entry((key, grantee.clone())).or_default().extend(privs);
                } else {
                    let acl = want.entry((key, grantee.clone())).or_default();
                    for p in privs {
                        *acl.entry(p).or_insert(false) |= g.grant_option;
                    }
                }
            }
        }
        let keys: BTreeSet<&(Key, Option<String>)> = want.keys().chain(have.keys()).chain(revoked.keys()).collect();
        // Statements as (head, tail, privileges, columns): the same change to several columns
        // of a table is one statement.
        // (statements, index of the column statements by (head, tail, privileges))
        type Pending = (Vec<(String, String, Vec<String>, Vec<String>)>, HashMap<(String, String, Vec<String>), usize>);
        let mut grants: Pending = Default::default();
        let mut revokes: Pending = Default::default();
        let add = |(list, index): &mut Pending,
                   (head, tail, privs): (String, String, Vec<String>),
                   column: Option<String>| match column {
            None => list.push((head, tail, privs, Vec::new())),
            Some(c) => match index.get(&(head.clone(), tail.clone(), privs.clone())) {
                Some(&i) => list[i].3.push(c),
                None => {
                    index.insert((head.clone(), tail.clone(), privs.clone()), list.len());
                    list.push((head, tail, privs, vec![c]));
                }
            },
        };
        let empty = BTreeMap::new();
        let mut result: BTreeMap<(Key, Option<String>), BTreeMap<String, bool>> = BTreeMap::new();
        for k in keys {
            let (key, grantee) = k;
            let managed = match grantee {
                Some(r) => self.scope.manages(r),
                None => false,
            };
            let h = have.get(k).unwrap_or(&empty);
            // PUBLIC is not managed as a whole: only what the policy says about it changes.
            let w: BTreeMap<String, bool> = if managed {
                want.get(k).cloned().unwrap_or_default()
            } else if mentioned.contains(k) {
                let mut w = h.clone();
                for (p, o) in want.get(k).unwrap_or(&empty) {
                    w.insert(p.clone(), *o || h.get(p).copied().unwrap_or(false));
                }
                for p in revoked.get(k).into_iter().flatten() {
                    w.remove(p);
                }
                w
            } else {
                continue;
            };
            if self.audit {
                if !(w.is_empty() && h.is_empty()) {
                    self.finding(
                        w == *h,
                        &grantee_name(grantee),
                        key.label(objects.get(key)),
                        privileges_text(&w),
                        privileges_text(h),
                    );
                }
                result.insert(k.clone(), w.clone());
            }
            let on = key.sql(objects.get(key));
            let to = grantee_sql(grantee);
            for (privs, option) in grants_needed(&w, h) {
                add(
                    &mut grants,
                    (
                        "GRANT ".to_string(),
                        format!(" ON {on} TO {to}{};", if option { " WITH GRANT OPTION" } else { "" }),
                        privs,
                    ),
                    key.column.clone(),
                );
            }
            for (privs, option_only) in revokes_needed(&w, h) {
                add(
                    &mut revokes,
                    (
                        format!("REVOKE {}", if option_only { "GRANT OPTION FOR " } else { "" }),
                        format!(" ON {on} FROM {to};"),
                        privs,
                    ),
                    key.column.clone(),
                );
            }
        }
        for (head, tail, privs, columns) in grants.0.into_iter().chain(revokes.0) {
            let list = if columns.is_empty() {
                privs.join(", ")
            } else {
                let cols = columns.iter().map(|c| ident(c)).collect::<Vec<_>>().join(", ");
                privs.iter().map(|p| format!("{p} ({cols})")).collect::<Vec<_>>().join(", ")
            };
            self.push(Change::new(Phase::ObjectPrivileges, format!("{head}{list}{tail}")));
        }
        if self.audit {
            let mut privileges: Vec<LivePrivilege> = self
                .live
                .privileges
                .iter()
                .filter(|p| {
                    !result.contains_key(&(Key::of(&p.object), p.grantee.clone()))
                        || p.grantee.as_deref() == Some(p.owner.as_str())
                        || p.grantor != p.owner
                })
                .cloned()
                .collect();
            for ((key, grantee), privs) in result {
                let owner = owners.get(&key).cloned().unwrap_or_else(|| self.live.current_user.clone());
                let object = objects.get(&key).cloned().unwrap_or_else(|| key.object());
                for (privilege, grantable) in privs {
                    privileges.push(LivePrivilege {
                        object: object.clone(),
                        owner: owner.clone(),
                        grantee: grantee.clone(),
                        grantor: owner.clone(),
                        privilege,
                        grantable,
                    });
                }
            }
            privileges.sort();
            self.desired.privileges = privileges;
        }
    }

    /// The objects a grant target stands for, each with its privileges spelled out.
    fn expand_object(
        &self,
        object: &Object,
        privileges: &[Privilege],
        live: &BTreeMap<Key, LiveObject>,
        routines: &HashMap<(&str, &str, Vec<String>), &Key>,
    ) -> Vec<(Key, Vec<String>)> {
        let major = self.major;
        let one = |key: Key| {
            let privs = expand(privileges, key.kind.privileges(major));
            vec![(key, privs)]
        };
        let named = |kind: KeyKind, schema: &str, name: &str| Key {
            kind,
            schema: Some(schema.to_string()),
            name: name.to_string(),
            args: Vec::new(),
            column: None,
        };
        match object {
            Object::Table { schema, name } | Object::View { schema, name } => one(named(KeyKind::Table, schema, name)),
            Object::Sequence { schema, name } => one(named(KeyKind::Sequence, schema, name)),
            Object::Type { schema, name } | Object::Domain { schema, name } => one(named(KeyKind::Type, schema, name)),
            Object::Schema { name } => {
                one(Key { kind: KeyKind::Schema, schema: None, name: name.clone(), args: Vec::new(), column: None })
            }
            Object::Database { name } => {
                one(Key { kind: KeyKind::Database, schema: None, name: name.clone(), args: Vec::new(), column: None })
            }
            Object::Routine { schema, name, args } => {
                let args: Vec<String> = args.iter().map(|a| canonical_type(a)).collect();
                // The live routine with these argument types; else the only one whose types
                // the policy names without schema (as the `search_path` would find them).
                let key =
                    routines.get(&(schema.as_str(), name.as_str(), args.clone())).map(|k| (*k).clone()).or_else(|| {
                        let mut found = routines.iter().filter(|((s, n, live_args), _)| {
                            s == schema
                                && n == name
                                && live_args.len() == args.len()
                                && args.iter().zip(live_args).all(|(w, l)| same_type_unqualified(w, l))
                        });
                        match (found.next(), found.next()) {
                            (Some((_, k)), None) => Some((*k).clone()),
                            _ => None,
                        }
                    });
                one(key.unwrap_or(Key {
                    kind: KeyKind::Routine,
                    schema: Some(schema.clone()),
                    name: name.clone(),
                    args,
                    column: None,
                }))
            }
            Object::Columns { schema, table, columns } => columns
                .iter()
                .flat_map(|c| {
                    one(Key {
                        kind: KeyKind::Column,
                        schema: Some(schema.clone()),
                        name: table.clone(),
                        args: Vec::new(),
                        column: Some(c.clone()),
                    })
                })
                .collect(),
            Object::AllIn { kind, schema } => live
                .iter()
                .filter(|(k, o)| {
                    k.schema.as_deref() == Some(schema)
                        && match (kind, o) {
                            (BulkKind::Tables, LiveObject::Table { .. }) => true,
                            (BulkKind::Sequences, LiveObject::Sequence { .. }) => true,
                            (BulkKind::Functions, LiveObject::Routine { prokind, .. }) => prokind != "p",
                            (BulkKind::Routines, LiveObject::Routine { .. }) => true,
                            _ => false,
                        }
                })
                .flat_map(|(k, _)| one(k.clone()))
                .collect(),
        }
    }

    // ---- drops -------------------------------------------------------------------------------

    fn drops(&mut self) {
        for role in &self.live.roles {
            if !self.scope.is_undeclared(&role.name) {
                continue;
            }
            let owned: Vec<String> = self
                .live
                .schemas
                .iter()
                .filter(|s| s.owner.as_deref() == Some(role.name.as_str()))
                .map(|s| format!("schema `{}`", s.name))
                .chain(
                    self.live
                        .objects
                        .iter()
                        .filter(|o| o.owner.as_deref() == Some(role.name.as_str()))
                        .map(|o| format!("`{}.{}`", o.schema, o.name)),
                )
                .chain(
                    self.live
                        .default_privileges
                        .iter()
                        .filter(|d| d.owner == role.name)
                        .map(|d| format!("default privileges on {}", d.kind)),
                )
                .collect();
            let successor = self.scope.successor().filter(|s| !self.dropped(s));
            match successor {
                // With a successor, every role to drop hands over what it owns (objects here, and
                // shared objects such as databases, which the live state does not list).
                Some(s) => {
                    let database = &self.live.database;
                    let what = if owned.is_empty() { "what it owns".to_string() } else { owned.join(", ") };
                    for sql in [format!("REASSIGN OWNED BY {} TO {};", ident(&role.name), ident(s)), format!("DROP OWNED BY {};", ident(&role.name))] {
                        let mut c = Change::new(Phase::DropRoles, sql);
                        c.destructive = true;
                        c.note = Some(format!("`{}` gives {what} to `{s}` in database `{database}` (this database only; other databases need the same)", role.name));
                        self.push(c);
                    }
                }
                None if owned.is_empty() => {}
                None => self.plan.blockers.push(format!(
                    "role `{}` is to be dropped but owns {} in database `{}`: reassign or drop them first (REASSIGN OWNED BY … TO …, in every database), or give `--successor ROLE`",
                    role.name,
                    owned.join(", "),
                    self.live.database
                )),
            }
            let mut c = Change::new(Phase::DropRoles, format!("DROP ROLE {};", ident(&role.name)));
            c.destructive = true;
            c.note = Some("managed but no longer declared".to_string());
            c.drops_role = Some(role.name.clone());
            self.push(c);
            if self.audit {
                self.finding(
                    false,
                    &role.name,
                    "role".to_string(),
                    "absent (managed, not declared)".to_string(),
                    "present".to_string(),
                );
                self.desired.roles.retain(|r| r.name != role.name);
                self.desired.default_privileges.retain(|d| d.owner != role.name);
                self.desired.privileges.retain(|p| p.grantee.as_deref() != Some(role.name.as_str()));
            }
        }
    }
}

/// Privileges to grant: `(privileges, with grant option)` groups.
fn grants_needed(want: &BTreeMap<String, bool>, have: &BTreeMap<String, bool>) -> Vec<(Vec<String>, bool)> {
    let mut plain = Vec::new();
    let mut option = Vec::new();
    for (p, o) in want {
        match have.get(p) {
            None if *o => option.push(p.clone()),
            None => plain.push(p.clone()),
            Some(false) if *o => option.push(p.clone()),
            Some(_) => {}
        }
    }
    [(plain, false), (option, true)].into_iter().filter(|(p, _)| !p.is_empty()).collect()
}

/// Privileges to revoke: `(privileges, grant option only)` groups.
fn revokes_needed(want: &BTreeMap<String, bool>, have: &BTreeMap<String, bool>) -> Vec<(Vec<String>, bool)> {
    let mut all = Vec::new();
    let mut option = Vec::new();
    for (p, o) in have {
        match want.get(p) {
            None => all.push(p.clone()),
            Some(false) if *o => option.push(p.clone()),
            Some(_) => {}
        }
    }
    [(all, false), (option, true)].into_iter().filter(|(p, _)| !p.is_empty()).collect()
}

/// Privilege keywords, `all` spelled out for the object kind.
fn expand(privileges: &[Privilege], all: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for p in privileges {
        if *p == Privilege::All {
            out.extend(all.iter().map(|s| s.to_string()));
        } else {
            out.push(p.keyword().to_ascii_uppercase());
        }
    }
    out.sort();
    out.dedup();
    out
}

const TABLE_PRIVILEGES: &[&str] = &["DELETE", "INSERT", "REFERENCES", "SELECT", "TRIGGER", "TRUNCATE", "UPDATE"];
const TABLE_PRIVILEGES_17: &[&str] =
    &["DELETE", "INSERT", "MAINTAIN", "REFERENCES", "SELECT", "TRIGGER", "TRUNCATE", "UPDATE"];

fn default_kind(k: DefaultKind) -> &'static str {
    match k {
        DefaultKind::Tables => "tables",
        DefaultKind::Sequences => "sequences",
        DefaultKind::Functions | DefaultKind::Routines => "functions",
        DefaultKind::Types => "types",
        DefaultKind::Schemas => "schemas",
    }
}

pub(crate) fn kind_privileges(kind: &str, major: u32) -> &'static [&'static str] {
    match kind {
        "tables" if major >= 17 => TABLE_PRIVILEGES_17,
        "tables" => TABLE_PRIVILEGES,
        "sequences" => &["SELECT", "UPDATE", "USAGE"],
        "functions" => &["EXECUTE"],
        "types" => &["USAGE"],
        "schemas" => &["CREATE", "USAGE"],
        "large_objects" => &["SELECT", "UPDATE"],
        _ => &[],
    }
}

/// What a global default-privilege entry that does not exist stands for (acldefault): all
/// privileges for the owner, EXECUTE on functions and USAGE on types for PUBLIC.
fn builtin_default_acl(kind: &str, owner: &str, major: u32) -> BTreeMap<Option<String>, BTreeMap<String, bool>> {
    let mut acl = BTreeMap::new();
    acl.insert(Some(owner.to_string()), kind_privileges(kind, major).iter().map(|p| (p.to_string(), false)).collect());
    let public: &[&str] = match kind {
        "functions" => &["EXECUTE"],
        "types" => &["USAGE"],
        _ => &[],
    };
    if !public.is_empty() {
        acl.insert(None, public.iter().map(|p| (p.to_string(), false)).collect());
    }
    acl
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum KeyKind {
    Table,
    Sequence,
    Column,
    Routine,
    Schema,
    Database,
    Type,
}

impl KeyKind {
    fn privileges(self, major: u32) -> &'static [&'static str] {
        match self {
            KeyKind::Table if major >= 17 => TABLE_PRIVILEGES_17,
            KeyKind::Table => TABLE_PRIVILEGES,
            KeyKind::Sequence => &["SELECT", "UPDATE", "USAGE"],
            KeyKind::Column => &["INSERT", "REFERENCES", "SELECT", "UPDATE"],
            KeyKind::Routine => &["EXECUTE"],
            KeyKind::Schema => &["CREATE", "USAGE"],
            KeyKind::Database => &["CONNECT", "CREATE", "TEMPORARY"],
            KeyKind::Type => &["USAGE"],
        }
    }
}

/// An object as the diff compares it (table and view alike, domain and type alike).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct Key {
    kind: KeyKind,
    schema: Option<String>,
    name: String,
    args: Vec<String>,
    column: Option<String>,
}

impl Key {
    fn of(o: &LiveObject) -> Key {
        let k = |kind, schema: &str, name: &str| Key {
            kind,
            schema: Some(schema.to_string()),
            name: name.to_string(),
            args: Vec::new(),
            column: None,
        };
        match o {
            LiveObject::Table { schema, name, .. } => k(KeyKind::Table, schema, name),
            LiveObject::Sequence { schema, name } => k(KeyKind::Sequence, schema, name),
            LiveObject::Column { schema, table, column } => {
                Key { column: Some(column.clone()), ..k(KeyKind::Column, schema, table) }
            }
            LiveObject::Routine { schema, name, args, .. } => {
                Key { args: args.iter().map(|a| canonical_type(a)).collect(), ..k(KeyKind::Routine, schema, name) }
            }
            LiveObject::Schema { name } => {
                Key { kind: KeyKind::Schema, schema: None, name: name.clone(), args: Vec::new(), column: None }
            }
            LiveObject::Database { name } => {
                Key { kind: KeyKind::Database, schema: None, name: name.clone(), args: Vec::new(), column: None }
            }
            LiveObject::Type { schema, name } | LiveObject::Domain { schema, name } => k(KeyKind::Type, schema, name),
        }
    }

    /// `TABLE "s"."t"`, `ROUTINE "s"."f"(integer)`, …
    fn sql(&self, live: Option<&LiveObject>) -> String {
        let q = || qualified(self.schema.as_deref().unwrap_or_default(), &self.name);
        match self.kind {
            KeyKind::Table | KeyKind::Column => format!("TABLE {}", q()),
            KeyKind::Sequence => format!("SEQUENCE {}", q()),
            KeyKind::Routine => {
                let routine = match live {
                    Some(LiveObject::Routine { prokind, .. }) if prokind == "p" => "PROCEDURE",
                    Some(LiveObject::Routine { .. }) => "FUNCTION",
                    _ => "ROUTINE",
                };
                format!("{routine} {}({})", q(), self.args.join(", "))
            }
            KeyKind::Schema => format!("SCHEMA {}", ident(&self.name)),
            KeyKind::Database => format!("DATABASE {}", ident(&self.name)),
            KeyKind::Type => format!("TYPE {}", q()),
        }
    }

    /// How a check names the object: its SQL form, with the column.
    fn label(&self, live: Option<&LiveObject>) -> String {
        match &self.column {
            Some(c) => format!("{} ({})", self.sql(live), ident(c)),
            None => self.sql(live),
        }
    }

    /// The object a key stands for when the live state does not have it.
    fn object(&self) -> LiveObject {
        let (schema, name) = (self.schema.clone().unwrap_or_default(), self.name.clone());
        match self.kind {
            KeyKind::Table => LiveObject::Table { schema, name, relkind: "r".to_string() },
            KeyKind::Sequence => LiveObject::Sequence { schema, name },
            KeyKind::Column => {
                LiveObject::Column { schema, table: name, column: self.column.clone().unwrap_or_default() }
            }
            KeyKind::Routine => LiveObject::Routine { schema, name, args: self.args.clone(), prokind: "f".to_string() },
            KeyKind::Schema => LiveObject::Schema { name },
            KeyKind::Database => LiveObject::Database { name },
            KeyKind::Type => LiveObject::Type { schema, name },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grant_and_revoke_sets() {
        let m = |items: &[(&str, bool)]| items.iter().map(|(p, o)| (p.to_string(), *o)).collect::<BTreeMap<_, _>>();
        assert_eq!(
            grants_needed(&m(&[("SELECT", false), ("UPDATE", true)]), &m(&[("SELECT", false)])),
            vec![(vec!["UPDATE".to_string()], true)]
        );
        assert_eq!(
            revokes_needed(&m(&[("SELECT", false)]), &m(&[("SELECT", true), ("DELETE", false)])),
            vec![(vec!["DELETE".to_string()], false), (vec!["SELECT".to_string()], true)]
        );
    }
}
