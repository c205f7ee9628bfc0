//! The plan: the statements, in phases, that make the server match the policy.

use serde::Serialize;

use crate::pg::quote::{ident, literal};

/// The phases of a plan, in the order they run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanPhase {
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
    pub phase: PlanPhase,
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
    /// The database the statement runs in, for a policy that names its databases; `None`:
    /// cluster-wide (run in the policy's first database), or the one database connected to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
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

/// A password's environment variable is not set or empty.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("environment variable `{env}` (the password of `{role}`) is not set or empty")]
pub struct MissingPassword {
    pub env: String,
    pub role: String,
}

impl Change {
    pub(crate) fn new(phase: PlanPhase, sql: String) -> Change {
        Change { phase, sql, destructive: false, note: None, password: None, drops_role: None, database: None }
    }

    /// A destructive statement, with why it is there.
    pub(crate) fn destructive(phase: PlanPhase, sql: String, note: String) -> Change {
        Change { destructive: true, note: Some(note), ..Change::new(phase, sql) }
    }

    /// The statement to run; a password is read through `secret` (an environment variable
    /// name → its value) and turned into a SCRAM verifier.
    pub fn executable(&self, secret: &dyn Fn(&str) -> Option<String>) -> Result<String, MissingPassword> {
        match &self.password {
            None => Ok(self.sql.clone()),
            Some(PasswordFrom::Verifier { role, verifier }) => {
                Ok(format!("ALTER ROLE {} PASSWORD {};", ident(role), literal(verifier)))
            }
            Some(PasswordFrom::Env { role, env }) => {
                let password = secret(env)
                    .filter(|p| !p.is_empty())
                    .ok_or_else(|| MissingPassword { env: env.clone(), role: role.clone() })?;
                let salt = crate::pg::scram::deterministic_salt(role, &password);
                let verifier = crate::pg::scram::verifier(&password, &salt, crate::pg::scram::DEFAULT_ITERATIONS);
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
    /// What `apply` records of relative time windows (`rolec.windows`) and the windows of the
    /// memberships it grants or revokes (the ledger); not part of the hash.
    #[serde(skip)]
    pub windows: super::windows::WindowBook,
    /// The roles the plan creates: `apply` records them in `rolec.roles`. Not part of the hash.
    #[serde(skip)]
    pub creates: Vec<String>,
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

    pub(crate) fn push(&mut self, c: Change) {
        self.changes.push(c);
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

/// The plan of a comparison: each part's statements in the order the parts are compared,
/// then sorted by phase (stably, keeping the order within a phase).
pub(crate) fn plan(c: &super::Comparison<'_>) -> ChangePlan {
    let mut plan = ChangePlan::default();
    for role in &c.protected {
        plan.warnings.push(format!(
            "role `{role}` is left alone: rolec never changes `postgres`, `pg_*` roles or the role it connects as"
        ));
    }
    if let Some(why) = &c.cx.live.created_roles_unread {
        plan.warnings.push(why.clone());
    }
    for role in &c.roles {
        role.plan(&mut plan);
    }
    c.memberships.plan(&mut plan);
    for entry in &c.default_privileges {
        entry.plan(&mut plan);
    }
    c.object_privileges.plan(&mut plan);
    for drop in &c.drops {
        drop.plan(&mut plan);
    }
    plan.changes.sort_by_key(|c| c.phase);
    plan
}
