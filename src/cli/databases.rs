//! The live commands over the databases a policy names (`databases a, b`): a connection to each,
//! the cluster-wide part read in the first one (where `apply` also takes its lock and writes its
//! ledger), and `--database NAME` to narrow the databases whose privileges are compared.
//!
//! The server is mostly waited for: the policy loads while the first database is read, and the
//! other databases are connected to and read at the same time, each on a thread of its own.

use std::thread::{self, ScopedJoinHandle};

use super::plan::{load_for_version, with_live_catalog};
use super::LiveArgs;
use crate::db::Workspace;
use crate::live::diff::databases::DatabaseState;
use crate::live::{Connection, LiveState, Target};

/// A policy and the cluster it is compared with.
pub struct Cluster {
    pub ws: Workspace,
    /// The connection of the cluster-wide part: the policy's first database, or `--db`'s when the
    /// policy names none.
    pub main: Connection,
    pub state: LiveState,
    /// The other databases compared (with their connections), in the policy's order; whether the
    /// first is compared too is [`Cluster::main_compared`].
    pub others: Vec<(String, Connection, LiveState)>,
    pub main_compared: bool,
}

impl Cluster {
    /// Whether the policy names its databases.
    pub fn several(&self) -> bool {
        !self.ws.resolved().model.databases.is_empty()
    }

    pub fn target(&self) -> &Target {
        &self.main.target
    }

    /// The databases compared, with their states.
    pub fn compared(&self) -> Vec<DatabaseState<'_>> {
        let main = self.main_compared.then(|| DatabaseState { name: &self.main.target.dbname, state: &self.state });
        main.into_iter().chain(self.others.iter().map(|(name, _, state)| DatabaseState { name, state })).collect()
    }
}

/// The databases `--database` keeps of the policy's (all when none is given); an error names a
/// database the policy does not.
pub fn selected<'m>(declared: &'m [String], only: &[String]) -> Result<Vec<&'m String>, String> {
    if let Some(unknown) = only.iter().find(|d| !declared.contains(d)) {
        return Err(match declared.is_empty() {
            true => format!("`--database {unknown}`: the policy names no databases (`databases a, b`)"),
            false => format!("`--database {unknown}`: the policy names only the databases {}", declared.join(", ")),
        });
    }
    Ok(declared.iter().filter(|d| only.is_empty() || only.contains(d)).collect())
}

/// Connects, reads the server and loads the policy; for a policy that names its databases,
/// connects to each (with `--db`'s settings, another `dbname`). `Ok(None)`: the policy has
/// errors (printed).
pub fn read(args: &LiveArgs) -> Result<Option<Cluster>, String> {
    // The policy loads for the server's version as soon as it is known, while the catalogs are
    // read; it waits for nothing (and loads nothing) when the server cannot be read.
    let (live, loaded) = thread::scope(|s| {
        let (version_tx, version_rx) = std::sync::mpsc::channel::<u32>();
        let loading = s.spawn(move || version_rx.recv().ok().map(|v| load_for_version(&args.policy, v)));
        let live = connect_and_read(args, None, &mut |v| _ = version_tx.send(v));
        drop(version_tx);
        (live, joined(loading))
    });
    let (mut main, mut state) = live?;
    let Some(ws) = loaded else { return Err("the server's version was not read".to_string()) };
    let mut ws = ws?;
    if !with_live_catalog(&args.policy, &mut ws, &state) {
        return Ok(None);
    }
    let declared = ws.resolved().model.databases.clone();
    let keep = selected(&declared, &args.databases)?;
    let Some(first) = declared.first() else {
        return Ok(Some(Cluster { ws, main, state, others: Vec::new(), main_compared: true }));
    };
    // The policy's first database when `--db` names another, and the other databases compared,
    // all at once.
    let wanted: Vec<&String> = keep.iter().copied().filter(|d| *d != first).collect();
    let (again, others) = thread::scope(|s| {
        let again =
            (main.target.dbname != *first).then(|| s.spawn(|| connect_and_read(args, Some(first), &mut |_| ())));
        let others: Vec<_> = wanted
            .iter()
            .map(|db| {
                s.spawn(move || -> Result<(String, Connection, LiveState), String> {
                    let mut c = super::connect_live_to(&args.db, Some(db)).map_err(|e| e.to_string())?;
                    let s = crate::live::introspect(&mut c.client).map_err(|e| format!("database `{db}`: {e}"))?;
                    Ok((db.to_string(), c, s))
                })
            })
            .collect();
        (again.map(joined), others.into_iter().map(joined).collect::<Vec<_>>())
    });
    if let Some(again) = again {
        (main, state) = again?;
        if !with_live_catalog(&args.policy, &mut ws, &state) {
            return Ok(None);
        }
    }
    let others = others.into_iter().collect::<Result<Vec<_>, String>>()?;
    let main_compared = keep.contains(&first);
    Ok(Some(Cluster { ws, main, state, others, main_compared }))
}

/// Connects to `database` (`--db`'s when `None`) and reads it with `rolec.windows` and
/// `rolec.roles`; `version_known` as [`crate::live::introspect::introspect_telling`].
fn connect_and_read(
    args: &LiveArgs,
    database: Option<&str>,
    version_known: &mut dyn FnMut(u32),
) -> Result<(Connection, LiveState), String> {
    let mut c = super::connect_live_to(&args.db, database).map_err(|e| e.to_string())?;
    let state =
        crate::live::introspect_with_windows_telling(&mut c.client, version_known).map_err(|e| e.to_string())?;
    Ok((c, state))
}

/// The result of a thread; a panic goes on in the caller.
fn joined<T>(handle: ScopedJoinHandle<'_, T>) -> T {
    handle.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}
