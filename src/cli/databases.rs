//! The live commands over the databases a policy names (`databases a, b`): a connection to each,
//! the cluster-wide part read in the first one (where `apply` also takes its lock and writes its
//! ledger), and `--database NAME` to narrow the databases whose privileges are compared.

use super::plan::load_policy;
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
    let mut main = super::connect_live(&args.db).map_err(|e| e.to_string())?;
    let mut state = crate::live::introspect_with_windows(&mut main.client).map_err(|e| e.to_string())?;
    let Some(mut ws) = load_policy(&args.policy, &state)? else { return Ok(None) };
    let declared = ws.resolved().model.databases.clone();
    let keep = selected(&declared, &args.databases)?;
    let Some(first) = declared.first() else {
        return Ok(Some(Cluster { ws, main, state, others: Vec::new(), main_compared: true }));
    };
    if main.target.dbname != *first {
        main = super::connect_live_to(&args.db, Some(first)).map_err(|e| e.to_string())?;
        state = crate::live::introspect_with_windows(&mut main.client).map_err(|e| e.to_string())?;
        let Some(again) = load_policy(&args.policy, &state)? else { return Ok(None) };
        ws = again;
    }
    let mut others = Vec::new();
    for db in keep.iter().filter(|d| **d != first) {
        let mut c = super::connect_live_to(&args.db, Some(db)).map_err(|e| e.to_string())?;
        let s = crate::live::introspect(&mut c.client).map_err(|e| format!("database `{db}`: {e}"))?;
        others.push((db.to_string(), c, s));
    }
    let main_compared = keep.contains(&first);
    Ok(Some(Cluster { ws, main, state, others, main_compared }))
}
