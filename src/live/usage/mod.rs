//! `rolec usage`: which roles nobody uses, from the server's own records. The logins in its
//! log files ([`log`]) and the sessions open now (`pg_stat_activity`) say when each login role
//! was last seen; the catalog's memberships say which group roles a login role reaches.
//!
//! ```text
//! log files ──log::read_file──▶ last login per role ─┐
//! --db ──read_server──▶ roles, memberships, sessions ─┴─report──▶ UsageReport
//! ```
//!
//! Nothing else in `pg_stat_*` is kept per role: the statistics views count per database,
//! table or function, and `pg_stat_statements` (an extension, when installed) counts
//! statements per role with no time of use.

pub mod log;

use std::collections::{BTreeMap, HashMap, HashSet};

use postgres::GenericClient;
use serde::Serialize;

use super::connect::error_text;
use super::LiveError;
use log::{FileSummary, LogError, Zones};

const ROLES: &str = "
SELECT rolname::text, rolcanlogin FROM pg_catalog.pg_roles WHERE rolname !~ '^pg_' ORDER BY 1";

/// Every membership, group then member, predefined roles included (a path may pass them).
const MEMBERS: &str = "
SELECT g.rolname::text, m.rolname::text
FROM pg_catalog.pg_auth_members am
JOIN pg_catalog.pg_roles g ON g.oid = am.roleid
JOIN pg_catalog.pg_roles m ON m.oid = am.member";

/// The roles of the client sessions open now (replication ones included), this one left out
/// (it is rolec's, not a use); background workers such as the logical replication launcher
/// also carry a role.
const SESSIONS: &str = "
SELECT usename::text FROM pg_catalog.pg_stat_activity
WHERE usename IS NOT NULL AND pid <> pg_backend_pid() AND backend_type IN ('client backend', 'walsender')";

/// The server's clock, for the sessions open now.
const NOW: &str = "SELECT extract(epoch FROM statement_timestamp())::float8";

/// The time zone abbreviations the server knows, and the one `log_timezone` has now (which
/// `pg_timezone_abbrevs` may lack), with their offsets in seconds.
const ZONES: &str = "
SELECT abbrev, extract(epoch FROM utc_offset)::int FROM pg_catalog.pg_timezone_abbrevs
UNION ALL
SELECT abbrev, extract(epoch FROM utc_offset)::int FROM pg_catalog.pg_timezone_names
WHERE name = current_setting('log_timezone')";

/// What the server says about its roles.
#[derive(Clone, Debug, Default)]
pub struct ServerRoles {
    /// Every role but the predefined ones, with whether it can log in.
    pub roles: Vec<(String, bool)>,
    /// (group, member).
    pub memberships: Vec<(String, String)>,
    /// The role of each session open now (another than rolec's).
    pub sessions: Vec<String>,
    /// The server's clock, seconds since the epoch.
    pub now: i64,
    pub zones: Zones,
}

/// Reads roles, memberships, the sessions open now and the time zone abbreviations.
pub fn read_server(client: &mut impl GenericClient) -> Result<ServerRoles, LiveError> {
    let server = |e: postgres::Error| LiveError::Server(error_text(&e));
    let roles = client.query(ROLES, &[]).map_err(server)?.iter().map(|r| (r.get(0), r.get(1))).collect();
    let memberships = client.query(MEMBERS, &[]).map_err(server)?.iter().map(|r| (r.get(0), r.get(1))).collect();
    let sessions = client.query(SESSIONS, &[]).map_err(server)?.iter().map(|r| r.get(0)).collect();
    let now: f64 = client.query_one(NOW, &[]).map_err(server)?.get(0);
    let mut zones = HashMap::new();
    for row in client.query(ZONES, &[]).map_err(server)? {
        let (abbrev, offset): (Option<String>, Option<i32>) = (row.get(0), row.get(1));
        if let (Some(abbrev), Some(offset)) = (abbrev, offset) {
            zones.entry(abbrev).or_insert(offset);
        }
    }
    Ok(ServerRoles { roles, memberships, sessions, now: now as i64, zones: Zones(zones) })
}

/// Reads the log files in order, keeping the latest login of each role.
pub fn read_logs(
    paths: &[std::path::PathBuf],
    zones: &Zones,
) -> Result<(Vec<FileSummary>, HashMap<String, i64>), LogError> {
    let mut last: HashMap<String, i64> = HashMap::new();
    let mut files = Vec::new();
    for path in paths {
        let mut on_login = |l: log::Login| {
            let t = last.entry(l.role).or_insert(l.at);
            *t = (*t).max(l.at);
        };
        files.push(log::read_file(path, zones, &mut on_login)?);
    }
    Ok((files, last))
}

/// Where the last sight of a role comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// A login in the log files read.
    Log,
    /// A session open now.
    PgStatActivity,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoginRole {
    pub role: String,
    /// Seconds since the epoch; `None`: never in the logs read, and no session open now.
    pub last_seen: Option<i64>,
    pub source: Option<Source>,
    /// Seen at or after the report's `since`.
    pub recent: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupStatus {
    /// A login role seen recently reaches it.
    Used,
    /// Login roles reach it, none of them seen recently.
    ReachedOnlyByUnused,
    /// No login role reaches it.
    Unreached,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupRole {
    pub role: String,
    pub status: GroupStatus,
    /// How many login roles reach it through memberships, and how many of them were seen recently.
    pub reached_by: usize,
    pub reached_by_recent: usize,
}

/// The usage of every role at `at`: login roles seen since `at - days`, and group roles
/// (those that cannot log in) by the login roles that reach them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsageReport {
    pub at: i64,
    pub days: u32,
    /// `at - days`: a login role last seen before is not seen for `days` days.
    pub since: i64,
    pub files: Vec<FileSummary>,
    /// The earliest and latest time in the logs read: how far back "never" goes.
    pub logs_from: Option<i64>,
    pub logs_to: Option<i64>,
    /// Sessions open now (other than rolec's).
    pub sessions: usize,
    /// Sorted by name.
    pub login_roles: Vec<LoginRole>,
    /// Sorted by name.
    pub group_roles: Vec<GroupRole>,
}

pub fn report(
    server: &ServerRoles,
    files: Vec<FileSummary>,
    last_login: &HashMap<String, i64>,
    at: i64,
    days: u32,
) -> UsageReport {
    let since = at - i64::from(days) * 86_400;
    let open: HashSet<&str> = server.sessions.iter().map(String::as_str).collect();
    let mut login_roles = Vec::new();
    for (role, _) in server.roles.iter().filter(|(_, login)| *login) {
        let logged = last_login.get(role).map(|&t| (t, Source::Log));
        let session = open.contains(role.as_str()).then_some((server.now, Source::PgStatActivity));
        let seen = match (logged, session) {
            (Some(l), Some(s)) => Some(if s.0 >= l.0 { s } else { l }),
            (l, s) => l.or(s),
        };
        login_roles.push(LoginRole {
            role: role.clone(),
            last_seen: seen.map(|s| s.0),
            source: seen.map(|s| s.1),
            recent: seen.is_some_and(|s| s.0 >= since),
        });
    }
    let recent: HashSet<&str> = login_roles.iter().filter(|r| r.recent).map(|r| r.role.as_str()).collect();

    // Walk up from each login role (member → group); count the login roles reaching a group.
    let mut groups_of: HashMap<&str, Vec<&str>> = HashMap::new();
    for (group, member) in &server.memberships {
        groups_of.entry(member.as_str()).or_default().push(group.as_str());
    }
    let mut reached: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for login in &login_roles {
        let mut seen: HashSet<&str> = HashSet::from([login.role.as_str()]);
        let mut stack = vec![login.role.as_str()];
        while let Some(role) = stack.pop() {
            for &group in groups_of.get(role).into_iter().flatten() {
                if seen.insert(group) {
                    stack.push(group);
                    let counts = reached.entry(group).or_default();
                    counts.0 += 1;
                    counts.1 += usize::from(recent.contains(login.role.as_str()));
                }
            }
        }
    }
    let group_roles = server
        .roles
        .iter()
        .filter(|(_, login)| !*login)
        .map(|(role, _)| {
            let (reached_by, reached_by_recent) = reached.get(role.as_str()).copied().unwrap_or_default();
            let status = match (reached_by, reached_by_recent) {
                (0, _) => GroupStatus::Unreached,
                (_, 0) => GroupStatus::ReachedOnlyByUnused,
                _ => GroupStatus::Used,
            };
            GroupRole { role: role.clone(), status, reached_by, reached_by_recent }
        })
        .collect();
    let logs_from = files.iter().filter_map(|f| f.first).min();
    let logs_to = files.iter().filter_map(|f| f.last).max();
    UsageReport {
        at,
        days,
        since,
        files,
        logs_from,
        logs_to,
        sessions: server.sessions.len(),
        login_roles,
        group_roles,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(roles: &[(&str, bool)], memberships: &[(&str, &str)], sessions: &[&str]) -> ServerRoles {
        ServerRoles {
            roles: roles.iter().map(|(r, l)| (r.to_string(), *l)).collect(),
            memberships: memberships.iter().map(|(g, m)| (g.to_string(), m.to_string())).collect(),
            sessions: sessions.iter().map(|s| s.to_string()).collect(),
            now: 1_000_000,
            zones: Zones::default(),
        }
    }

    #[test]
    fn groups_are_reached_transitively_and_by_recent_logins_only() {
        // alice (seen) → app → base; bob (old login) → ops; carol (never) → audit; lonely: nobody.
        let s = server(
            &[
                ("alice", true),
                ("bob", true),
                ("carol", true),
                ("app", false),
                ("base", false),
                ("ops", false),
                ("audit", false),
                ("lonely", false),
            ],
            &[("app", "alice"), ("base", "app"), ("ops", "bob"), ("audit", "carol"), ("base", "ops")],
            &[],
        );
        let logins = HashMap::from([("alice".to_string(), 990_000), ("bob".to_string(), 100)]);
        let r = report(&s, vec![], &logins, 1_000_000, 1);
        let status: Vec<_> = r.group_roles.iter().map(|g| (g.role.as_str(), g.status, g.reached_by)).collect();
        assert_eq!(
            status,
            [
                ("app", GroupStatus::Used, 1),
                ("base", GroupStatus::Used, 2),
                ("ops", GroupStatus::ReachedOnlyByUnused, 1),
                ("audit", GroupStatus::ReachedOnlyByUnused, 1),
                ("lonely", GroupStatus::Unreached, 0),
            ]
        );
        let seen: Vec<_> = r.login_roles.iter().map(|l| (l.role.as_str(), l.last_seen, l.recent)).collect();
        assert_eq!(seen, [("alice", Some(990_000), true), ("bob", Some(100), false), ("carol", None, false)]);
    }

    #[test]
    fn an_open_session_counts_as_seen_now() {
        let s = server(&[("alice", true), ("bob", true)], &[], &["alice"]);
        let r = report(&s, vec![], &HashMap::from([("alice".to_string(), 5)]), 1_000_000, 1);
        assert_eq!(r.login_roles[0].last_seen, Some(1_000_000));
        assert_eq!(r.login_roles[0].source, Some(Source::PgStatActivity));
        assert!(r.login_roles[0].recent);
        assert!(!r.login_roles[1].recent);
    }
}
