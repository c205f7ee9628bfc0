//! Applying a plan: one transaction under an advisory lock in which the database is read and
//! the plan made (refused if it differs from a saved plan), destructive steps refused unless
//! allowed, the statements run in batches, any warning of the server (such as "no privileges
//! were granted") an error, each apply recorded in `rolec.ledger` ([`super::ledger`]) and the
//! roles it creates in `rolec.roles` ([`super::role_table`]). An attempt that the
//! server aborts for a conflict with another session (a deadlock with someone granting by
//! hand) is rolled back and made again from the start, a bounded number of times.

use super::connect::{error_text, Connection, Notices};
use super::diff::{Change, ChangePlan};
use super::state::LiveState;
use super::LiveError;

/// The advisory lock every apply takes (in the database it connects to): "rolec" in ASCII.
pub const LOCK_KEY: i64 = 0x0072_6f6c_6563;

/// Statements sent in one simple-query message: one round trip per batch instead of one per
/// statement, which is most of the time a large plan takes beyond the server's own work.
pub const BATCH: usize = 500;

/// Makes the plan from the states read inside the transactions: the first database's, then
/// the other databases' in the order of [`apply_in`]'s `others`.
pub type PlanFor<'a> = dyn Fn(&LiveState, &[LiveState]) -> Result<ChangePlan, String> + 'a;

/// How many times an apply is tried when the server aborts it for a conflict with another
/// session (see [`is_conflict`]); each attempt reads the database and makes the plan again.
pub const ATTEMPTS: u32 = 5;

/// What an apply did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Applied {
    pub plan: ChangePlan,
    /// The conflicts with other sessions that aborted earlier attempts, which were tried again.
    pub conflicts: Vec<String>,
}

/// Why an attempt failed; `conflict` when the server aborted it for a conflict with another
/// session, which the next attempt, reading the database again, can avoid.
struct Failure {
    message: String,
    conflict: bool,
}

impl From<LiveError> for Failure {
    fn from(e: LiveError) -> Failure {
        Failure { message: e.to_string(), conflict: false }
    }
}

impl From<String> for Failure {
    fn from(message: String) -> Failure {
        Failure { message, conflict: false }
    }
}

/// A server error as a [`Failure`].
fn server(e: &postgres::Error) -> Failure {
    Failure { message: error_text(e), conflict: is_conflict(e) }
}

/// Whether the server aborted a statement for a conflict with another session: a deadlock
/// (40P01), a serialization failure (40001, e.g. under `default_transaction_isolation =
/// serializable`), or "tuple concurrently updated" (XX000), which GRANT, REVOKE and ALTER raise
/// when another session changed the same catalog row since this one read it.
fn is_conflict(e: &postgres::Error) -> bool {
    use postgres::error::SqlState;
    match e.code() {
        Some(c) if *c == SqlState::T_R_DEADLOCK_DETECTED || *c == SqlState::T_R_SERIALIZATION_FAILURE => true,
        Some(c) if *c == SqlState::INTERNAL_ERROR => {
            e.as_db_error().is_some_and(|d| d.message() == "tuple concurrently updated")
        }
        _ => false,
    }
}

/// The pause before attempt `attempt + 1`: 100 ms doubled per attempt, plus up to 100 ms so
/// that sessions that collided do not collide again in step.
fn backoff(attempt: u32) -> std::time::Duration {
    let jitter = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() % 100_000_000)
        .unwrap_or(0);
    std::time::Duration::from_millis(100 << (attempt - 1).min(6)) + std::time::Duration::from_nanos(jitter.into())
}

/// What an apply is allowed and given, besides the plan.
#[derive(Clone, Copy)]
pub struct ApplyOptions<'a> {
    /// The hash of a plan saved earlier: a plan that is not that one is refused.
    pub saved_hash: Option<&'a str>,
    /// Whether destructive steps (drops, revokes of what the policy no longer names) may run.
    pub allow_drop: bool,
    /// Where passwords are read.
    pub secret: &'a dyn Fn(&str) -> Option<String>,
    /// Why this apply is run, for the ledger.
    pub reason: Option<&'a str>,
}

impl Default for ApplyOptions<'_> {
    /// No saved plan, no destructive steps, no passwords, no reason.
    fn default() -> Self {
        fn no_secret(_: &str) -> Option<String> {
            None
        }
        ApplyOptions { saved_hash: None, allow_drop: false, secret: &no_secret, reason: None }
    }
}

/// Applies the plan `plan_for` makes from the state read inside the transaction (under the
/// lock, so the plan run is the plan made), as `options` allow. On any error nothing is
/// changed. An attempt aborted by a conflict with another session is rolled back and made
/// again from the start, up to [`ATTEMPTS`] times.
pub fn apply(
    conn: &mut Connection,
    plan_for: &dyn Fn(&LiveState) -> Result<ChangePlan, String>,
    options: &ApplyOptions<'_>,
) -> Result<Applied, LiveError> {
    apply_in(conn, &mut [], &|state, _| plan_for(state), options)
}

/// [`apply`] over several databases of one cluster: `conn` is the policy's first database (its
/// lock, its ledger, the cluster-wide statements), `others` the other databases, each read and
/// changed in a transaction of its own; `plan_for` gets their states in the same order, and
/// each of the plan's statements says its database ([`Change::database`]). Every transaction
/// commits only after every statement ran, the first database's last — unless the plan creates
/// roles that the other databases' statements name: those become visible there only once the
/// first database's transaction has committed, so it commits first. The lock is held (for the
/// session) until every database committed.
pub fn apply_in(
    conn: &mut Connection,
    others: &mut [(String, Connection)],
    plan_for: &PlanFor<'_>,
    options: &ApplyOptions<'_>,
) -> Result<Applied, LiveError> {
    if !others.is_empty() {
        conn.client.execute("SELECT pg_catalog.pg_advisory_lock($1)", &[&LOCK_KEY]).map_err(|e| {
            LiveError::NotApplied(format!("cannot take the lock: {}: nothing was applied", error_text(&e)))
        })?;
    }
    let applied = apply_attempts(conn, others, plan_for, options);
    if !others.is_empty() {
        // Also released when the session ends.
        let _ = conn.client.execute("SELECT pg_catalog.pg_advisory_unlock($1)", &[&LOCK_KEY]);
    }
    applied
}

fn apply_attempts(
    conn: &mut Connection,
    others: &mut [(String, Connection)],
    plan_for: &PlanFor<'_>,
    options: &ApplyOptions<'_>,
) -> Result<Applied, LiveError> {
    let mut conflicts = Vec::new();
    loop {
        match attempt(conn, others, plan_for, options) {
            Ok(plan) => return Ok(Applied { plan, conflicts }),
            Err(Failure { message, conflict: true }) => {
                conflicts.push(message);
                let n = conflicts.len() as u32;
                if n == ATTEMPTS {
                    return Err(LiveError::NotApplied(format!(
                        "gave up after {ATTEMPTS} attempts, each aborted by a conflict with another session (deadlock, serialization failure or concurrent update): nothing was applied; the last:\n{}",
                        conflicts[conflicts.len() - 1]
                    )));
                }
                std::thread::sleep(backoff(n));
            }
            Err(f) => return Err(LiveError::NotApplied(f.message)),
        }
    }
}

/// One attempt of [`apply`], in its own transaction; the plan it applied.
fn attempt(
    conn: &mut Connection,
    others: &mut [(String, Connection)],
    plan_for: &PlanFor<'_>,
    options: &ApplyOptions<'_>,
) -> Result<ChangePlan, Failure> {
    let ApplyOptions { saved_hash, allow_drop, secret, reason } = *options;
    let notices = conn.notices.clone();
    let main_database = conn.target.dbname.clone();
    let mut tx = conn.client.transaction().map_err(|e| server(&e))?;
    tx.execute("SELECT pg_catalog.pg_advisory_xact_lock($1)", &[&LOCK_KEY]).map_err(|e| server(&e))?;
    let state = super::introspect_with_windows(&mut tx)?;
    let mut elsewhere_txs = Vec::new();
    let mut states = Vec::new();
    for (name, c) in others.iter_mut() {
        let mut t = c.client.transaction().map_err(|e| in_database(name, server(&e)))?;
        states.push(super::introspect(&mut t).map_err(|e| in_database(name, e.into()))?);
        elsewhere_txs.push((name.as_str(), c.notices.clone(), t));
    }
    let full_plan = plan_for(&state, &states)?;
    // Dropping roles that give up what they hold in other databases runs last, apart (see
    // [`drop_stage`]); the rest as one.
    let staged = staged_drops(&full_plan, &main_database);
    let run_plan = ChangePlan {
        changes: full_plan.changes.iter().filter(|c| !staged.contains(c)).cloned().collect(),
        ..full_plan.clone()
    };
    // What runs in the first database; the rest runs in the others, after it.
    let in_main = |p: &ChangePlan| ChangePlan {
        changes: p
            .changes
            .iter()
            .filter(|c| c.database.as_deref().is_none_or(|d| d == main_database))
            .cloned()
            .collect(),
        ..p.clone()
    };
    let plan = in_main(&run_plan);
    if saved_hash.is_some_and(|h| h != full_plan.hash()) {
        return Err("the database or the policy changed since the saved plan was made: nothing was applied; make the plan again".to_string().into());
    }
    if !full_plan.blockers.is_empty() {
        return Err(format!("{}: nothing was applied", plan.blockers.join("; ")).into());
    }
    let held = elsewhere(&mut tx, &full_plan, &main_database)?;
    if !held.is_empty() {
        return Err(format!("{}: nothing was applied", held.join("; ")).into());
    }
    if full_plan.is_destructive() && !allow_drop {
        let drops: Vec<&str> = full_plan.changes.iter().filter(|c| c.destructive).map(|c| c.sql.as_str()).collect();
        return Err(format!(
            "the plan has destructive steps ({}): nothing was applied; pass --allow-drop to run them",
            drops.join(" ")
        )
        .into());
    }
    // Nothing to run, and no relative time window to record or forget.
    if full_plan.is_empty() && plan.windows.is_empty() {
        return Ok(full_plan);
    }
    // What the deployer lacks, for the plan, the ledger, the windows and the roles it creates,
    // before anything runs.
    let ledger_statements = if full_plan.is_empty() {
        Ok(None)
    } else {
        super::ledger::setup(&mut tx, !plan.windows.applied.is_empty(), reason.is_some())
            .map_err(|e| server(&e))?
            .map(Some)
    };
    let drops = full_plan.changes.iter().any(|c| c.drops_role.is_some());
    let role_statements =
        super::role_table::setup(&mut tx, !full_plan.creates.is_empty(), drops).map_err(|e| server(&e))?;
    let window_statements = if plan.windows.is_empty() {
        Ok(Vec::new())
    } else {
        super::window_table::setup(&mut tx).map_err(|e| server(&e))?
    };
    let mut missing: Vec<String> = super::deployer::missing(&mut tx, &in_main(&full_plan), state.major())
        .map_err(|e| server(&e))?
        .into_iter()
        .map(|(sql, why)| format!("  {sql}\n    {why}"))
        .collect();
    let problems = [ledger_statements.as_ref().err(), window_statements.as_ref().err(), role_statements.as_ref().err()];
    for problem in problems.into_iter().flatten() {
        missing.push(format!("  {problem}"));
    }
    for (name, _, t) in &mut elsewhere_txs {
        let part = ChangePlan { changes: in_part(&full_plan, name), ..ChangePlan::default() };
        let lacking = super::deployer::missing(t, &part, state.major()).map_err(|e| in_database(name, server(&e)))?;
        missing.extend(lacking.into_iter().map(|(sql, why)| format!("  in database {name}: {sql}\n    {why}")));
    }
    if !missing.is_empty() {
        return Err(format!("the connecting role `{}` lacks privileges the plan needs (see \"Least privileges for a deployer\" in docs/live.md); nothing was applied:\n{}", state.current_user, missing.join("\n")).into());
    }
    take(&notices);
    execute(&mut tx, &plan.changes, secret, &notices)?;
    let ledger = |e: postgres::Error| Failure {
        message: format!("cannot write the ledger: {}", error_text(&e)),
        conflict: is_conflict(&e),
    };
    let windows = |e: postgres::Error| Failure {
        message: format!("cannot record time windows in rolec.windows: {}", error_text(&e)),
        conflict: is_conflict(&e),
    };
    for sql in window_statements.unwrap_or_default() {
        tx.batch_execute(sql).map_err(windows)?;
    }
    super::window_table::write(&mut tx, &plan.windows).map_err(windows)?;
    if let Ok(Some(l)) = ledger_statements {
        for sql in &l.setup {
            tx.batch_execute(sql).map_err(ledger)?;
        }
        super::ledger::record(&mut tx, &l, &full_plan, reason).map_err(ledger)?;
    }
    let roles = |e: postgres::Error| Failure {
        message: format!("cannot record the roles rolec created in rolec.roles: {}", error_text(&e)),
        conflict: is_conflict(&e),
    };
    if let Ok(Some(setup)) = role_statements {
        for sql in setup {
            tx.batch_execute(sql).map_err(roles)?;
        }
        super::role_table::write(&mut tx, &full_plan.creates, &full_plan.hash()).map_err(roles)?;
    }
    // Roles this plan creates exist for the other databases once this transaction commits.
    let creates = full_plan.changes.iter().any(|c| c.phase == super::diff::PlanPhase::CreateRoles);
    let early = creates && elsewhere_txs.iter().any(|(name, _, _)| !in_part(&run_plan, name).is_empty());
    let mut main_tx = Some(tx);
    if early {
        main_tx.take().map(|tx| tx.commit()).transpose().map_err(|e| server(&e))?;
    }
    for (name, notices, t) in &mut elsewhere_txs {
        take(notices);
        execute(t, &in_part(&run_plan, name), secret, notices).map_err(|f| in_database(name, f))?;
    }
    for (name, _, t) in elsewhere_txs {
        t.commit().map_err(|e| in_database(name, server(&e)))?;
    }
    main_tx.map(|tx| tx.commit()).transpose().map_err(|e| server(&e))?;
    take(&notices);
    drop_stage(conn, others, &staged, &main_database, secret)?;
    Ok(full_plan)
}

/// The statements that drop roles (`REASSIGN OWNED`, `DROP OWNED`, `DROP ROLE`) when some of
/// them run in other databases than the first; else none.
fn staged_drops(plan: &ChangePlan, main_database: &str) -> Vec<Change> {
    let drops = || plan.changes.iter().filter(|c| c.phase == super::diff::PlanPhase::DropRoles);
    match drops().any(|c| c.database.as_deref().is_some_and(|d| d != main_database)) {
        true => drops().cloned().collect(),
        false => Vec::new(),
    }
}

/// Drops roles that hold something in other databases: each other database's statements, then
/// the first's (`DROP ROLE` last), each in a transaction committed before the next begins —
/// `DROP ROLE` sees what the other databases gave up only once they committed, and `REASSIGN
/// OWNED` / `DROP OWNED` also change shared catalogs (databases' ACLs and owners) that an open
/// transaction elsewhere would hold them waiting for. The rest of the plan has committed by
/// then: a failure says so, and the next apply finishes the drops.
fn drop_stage(
    conn: &mut Connection,
    others: &mut [(String, Connection)],
    staged: &[Change],
    main_database: &str,
    secret: &dyn Fn(&str) -> Option<String>,
) -> Result<(), Failure> {
    let partial = |f: Failure| Failure {
        message: format!(
            "{}\nthe rest of the plan was applied; apply again to finish dropping the roles",
            f.message.trim_end_matches("\nnothing was applied")
        ),
        ..f
    };
    let mut databases: Vec<(&str, &mut Connection)> = others.iter_mut().map(|(n, c)| (n.as_str(), c)).collect();
    databases.push((main_database, conn));
    for (name, c) in databases {
        let part: Vec<Change> =
            staged.iter().filter(|s| s.database.as_deref().unwrap_or(main_database) == name).cloned().collect();
        if part.is_empty() {
            continue;
        }
        let notices = c.notices.clone();
        let mut t = c.client.transaction().map_err(|e| partial(in_database(name, server(&e))))?;
        take(&notices);
        execute(&mut t, &part, secret, &notices).map_err(|f| partial(in_database(name, f)))?;
        t.commit().map_err(|e| partial(in_database(name, server(&e))))?;
    }
    Ok(())
}

/// The statements of `plan` that run in database `name`.
fn in_part(plan: &ChangePlan, name: &str) -> Vec<Change> {
    plan.changes.iter().filter(|c| c.database.as_deref() == Some(name)).cloned().collect()
}

/// A failure in another database than the first: its message names the database.
fn in_database(name: &str, f: Failure) -> Failure {
    Failure { message: format!("in database `{name}`: {}", f.message), ..f }
}

/// Takes the notices collected so far.
fn take(notices: &Notices) -> Vec<(String, String)> {
    std::mem::take(&mut *notices.lock().unwrap_or_else(|e| e.into_inner()))
}

/// The server's warnings (SQLSTATE class 01) among `notices`, as one line; `None` if none.
fn warnings(notices: Vec<(String, String)>) -> Option<String> {
    let w: Vec<String> = notices
        .into_iter()
        .filter(|(code, _)| code.starts_with("01"))
        .map(|(code, m)| format!("{code}: {m}"))
        .collect();
    (!w.is_empty()).then(|| w.join("; "))
}

/// The error for a statement that failed or warned. It shows `change.sql`, never the executable
/// form, which may hold a password.
fn failure(message: &str, change: &Change) -> String {
    format!("{message}\n  in: {}\nnothing was applied", change.sql)
}

/// Runs the statements in batches of [`BATCH`]. Each batch starts with a savepoint: when it
/// fails or warns (a notice cannot be traced to a statement of a batch), it is rolled back
/// to the savepoint and run again one statement at a time to name the statement at fault —
/// unless the server aborted it for a conflict with another session, which the whole apply
/// is tried again for. Any error aborts the whole apply.
fn execute(
    tx: &mut postgres::Transaction<'_>,
    changes: &[Change],
    secret: &dyn Fn(&str) -> Option<String>,
    notices: &Notices,
) -> Result<(), Failure> {
    // Every password is read before anything runs.
    let sql = changes
        .iter()
        .map(|c| c.executable(secret).map_err(|e| e.to_string()))
        .collect::<Result<Vec<String>, String>>()?;
    for (i, batch) in sql.chunks(BATCH).enumerate() {
        let changes = &changes[i * BATCH..][..batch.len()];
        // Releasing the previous savepoint keeps one subtransaction open, not one per batch.
        let release = if i == 0 { "" } else { "RELEASE SAVEPOINT rolec_batch;\n" };
        let problem = match tx.batch_execute(&format!("{release}SAVEPOINT rolec_batch;\n{}", batch.join("\n"))) {
            Ok(()) => warnings(take(notices)).map(Failure::from),
            Err(e) => Some(server(&e)),
        };
        if let Some(problem) = problem {
            let in_batch = |p: Failure| Failure {
                message: format!(
                    "{}\n  in the batch of statements from: {}\nnothing was applied",
                    p.message, changes[0].sql
                ),
                ..p
            };
            if problem.conflict {
                return Err(in_batch(problem));
            }
            return Err(culprit(tx, changes, batch, notices).unwrap_or_else(|| in_batch(problem)));
        }
    }
    Ok(())
}

/// After a batch failed or warned: rolls it back to its savepoint and runs its statements one
/// by one; the error for the first that fails or warns. `None` if none does (or the savepoint
/// is gone, e.g. the connection broke).
fn culprit(
    tx: &mut postgres::Transaction<'_>,
    changes: &[Change],
    sql: &[String],
    notices: &Notices,
) -> Option<Failure> {
    tx.batch_execute("ROLLBACK TO SAVEPOINT rolec_batch").ok()?;
    take(notices);
    for (change, sql) in changes.iter().zip(sql) {
        if let Err(e) = tx.batch_execute(sql) {
            return Some(Failure { message: failure(&error_text(&e), change), conflict: is_conflict(&e) });
        }
        if let Some(w) = warnings(take(notices)) {
            return Some(failure(&w, change).into());
        }
    }
    None
}

/// What the roles the plan drops own or hold in other databases (pg_shdepend) than those where
/// the plan gives it up (`DROP OWNED`, in a policy's databases): DROP ROLE would fail there, and
/// REASSIGN OWNED / DROP OWNED only act on the connected database.
fn elsewhere(tx: &mut postgres::Transaction<'_>, plan: &ChangePlan, main: &str) -> Result<Vec<String>, Failure> {
    const Q: &str = "SELECT d.datname::text,
            count(*) FILTER (WHERE s.deptype = 'o'),
            count(*) FILTER (WHERE s.deptype <> 'o')
        FROM pg_catalog.pg_shdepend s JOIN pg_catalog.pg_database d ON d.oid = s.dbid
        WHERE s.refclassid = 'pg_catalog.pg_authid'::pg_catalog.regclass
          AND s.refobjid = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = $1)
          AND d.datname <> pg_catalog.current_database() AND d.datname <> ALL($2)
        GROUP BY 1 ORDER BY 1";
    // Databases the role owns: REASSIGN OWNED (with --successor) gives them away too.
    const Q_DATABASES: &str = "SELECT datname::text FROM pg_catalog.pg_database
        WHERE datdba = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = $1) ORDER BY 1";
    let mut out = Vec::new();
    for role in plan.changes.iter().filter_map(|c| c.drops_role.as_deref()) {
        let quoted = crate::pg::quote::ident(role);
        let reassigned = plan.changes.iter().any(|c| {
            c.database.as_deref().is_none_or(|d| d == main)
                && c.sql.starts_with(&format!("REASSIGN OWNED BY {quoted} "))
        });
        let handled: Vec<String> = plan
            .changes
            .iter()
            .filter(|c| c.sql == format!("DROP OWNED BY {quoted};"))
            .filter_map(|c| c.database.clone())
            .collect();
        if !reassigned {
            let owned: Vec<String> = tx
                .query(Q_DATABASES, &[&role])
                .map_err(|e| server(&e))?
                .iter()
                .map(|r| format!("`{}`", r.get::<_, String>(0)))
                .collect();
            if !owned.is_empty() {
                out.push(format!("role `{role}` is to be dropped but owns database {}: give `--successor ROLE` or change their owner first", owned.join(", ")));
            }
        }
        let rows = tx.query(Q, &[&role, &handled]).map_err(|e| server(&e))?;
        if rows.is_empty() {
            continue;
        }
        let places: Vec<String> = rows
            .iter()
            .map(|r| {
                let (db, owned, other): (String, i64, i64) = (r.get(0), r.get(1), r.get(2));
                let mut what = Vec::new();
                if owned > 0 {
                    what.push(format!("owns {owned} object{}", if owned == 1 { "" } else { "s" }));
                }
                if other > 0 {
                    what.push(format!("holds privileges on {other} object{}", if other == 1 { "" } else { "s" }));
                }
                format!("{} in database `{db}`", what.join(" and "))
            })
            .collect();
        out.push(format!(
            "role `{role}` is to be dropped but {}: run `REASSIGN OWNED BY … TO …; DROP OWNED BY …;` there first (or rolec apply --successor against that database)",
            places.join(", ")
        ));
    }
    Ok(out)
}
