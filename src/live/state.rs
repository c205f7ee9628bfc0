//! The live state of a server: plain data read by [`super::introspect`], written as the
//! optional fields of a catalog snapshot, and compared with the policy by [`super::diff`].
//!
//! Roles, memberships, role settings, comments and databases are cluster-wide; object
//! privileges, default privileges and the inventory (schemas, objects) belong to the database
//! the connection reads. `grantee: null` is PUBLIC. Passwords are never read.

use serde::{Deserialize, Serialize};

// The live fields are part of the snapshot format, so they are defined with it, in
// `model::catalog`.
use crate::model::catalog::{Catalog, CatalogObject, CatalogSchema, DatabaseSnapshot, FORMAT, FORMAT_2};
use crate::model::catalog::{LiveDefaultAcl, LiveFields, LiveMembership, LivePrivilege, LiveRole};

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LiveState {
    /// `server_version_num`, e.g. 150018.
    pub server_version: u32,
    /// The database object privileges and the inventory were read from.
    pub database: String,
    /// The role the connection runs as (never altered or dropped).
    pub current_user: String,
    pub databases: Vec<String>,
    pub roles: Vec<LiveRole>,
    pub memberships: Vec<LiveMembership>,
    pub privileges: Vec<LivePrivilege>,
    pub default_privileges: Vec<LiveDefaultAcl>,
    pub schemas: Vec<CatalogSchema>,
    pub objects: Vec<CatalogObject>,
    /// The relative time windows applies started (`rolec.windows`); not part of a snapshot.
    #[serde(default)]
    pub windows: Vec<LiveWindow>,
    /// The roles applies created (`rolec.roles`) that still exist, by their current names:
    /// those the policy no longer declares are retired. Not part of a snapshot.
    #[serde(default)]
    pub created_roles: Vec<String>,
    /// Why `rolec.roles` could not be read (then no role is retired); not part of a snapshot.
    #[serde(default)]
    pub created_roles_unread: Option<String>,
}

/// A relative time window (`member of r for 4h`) as an apply recorded it in `rolec.windows`:
/// it started when that apply first granted the membership. Times in seconds since the epoch.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LiveWindow {
    pub role: String,
    pub member: String,
    pub started_at: i64,
    /// `started_at` + `duration`, as of the apply that wrote the record.
    pub ends_at: i64,
    /// The policy's duration, in seconds, as of the apply that wrote the record.
    pub duration: i64,
    /// The policy's reason when the window started: a new reason is a new request.
    pub reason: Option<String>,
}

impl LiveState {
    pub fn major(&self) -> u32 {
        self.server_version / 10000
    }

    pub fn role(&self, name: &str) -> Option<&LiveRole> {
        self.roles.iter().find(|r| r.name == name)
    }

    /// The snapshot of this state: the version-1 inventory plus the live fields.
    pub fn to_catalog(&self) -> Catalog {
        Catalog {
            format: FORMAT.to_string(),
            server_version: Some(self.server_version),
            databases: self.databases.clone(),
            schemas: self.schemas.clone(),
            objects: self.objects.clone(),
            live: Some(LiveFields {
                database: self.database.clone(),
                current_user: self.current_user.clone(),
                roles: self.roles.clone(),
                memberships: self.memberships.clone(),
                privileges: self.privileges.clone(),
                default_privileges: self.default_privileges.clone(),
            }),
            other_databases: Vec::new(),
        }
    }

    /// The snapshot of several databases of one cluster (format 2 when there is more than
    /// one): the first state's as [`LiveState::to_catalog`], each other's database-level part
    /// in `other_databases`.
    pub fn to_catalog_of(states: &[LiveState]) -> Option<Catalog> {
        let (first, others) = states.split_first()?;
        let mut catalog = first.to_catalog();
        if !others.is_empty() {
            catalog.format = FORMAT_2.to_string();
        }
        catalog.other_databases = others
            .iter()
            .map(|s| DatabaseSnapshot {
                database: s.database.clone(),
                schemas: s.schemas.clone(),
                objects: s.objects.clone(),
                privileges: s.privileges.clone(),
                default_privileges: s.default_privileges.clone(),
            })
            .collect();
        Some(catalog)
    }

    /// The states of every database a snapshot holds (one for format 1, more for format 2),
    /// the cluster-wide part of each from the top level; empty unless taken from a live database.
    pub fn all_from_catalog(catalog: &Catalog) -> Vec<LiveState> {
        let Some(first) = LiveState::from_catalog(catalog) else { return Vec::new() };
        let others: Vec<LiveState> = catalog
            .other_databases
            .iter()
            .map(|d| LiveState {
                database: d.database.clone(),
                privileges: d.privileges.clone(),
                default_privileges: d.default_privileges.clone(),
                schemas: d.schemas.clone(),
                objects: d.objects.clone(),
                ..first.clone()
            })
            .collect();
        std::iter::once(first).chain(others).collect()
    }

    /// The state a snapshot holds, if it was taken from a live database.
    pub fn from_catalog(catalog: &Catalog) -> Option<LiveState> {
        let live = catalog.live.as_ref()?;
        Some(LiveState {
            server_version: catalog.server_version.unwrap_or(0),
            database: live.database.clone(),
            current_user: live.current_user.clone(),
            databases: catalog.databases.clone(),
            roles: live.roles.clone(),
            memberships: live.memberships.clone(),
            privileges: live.privileges.clone(),
            default_privileges: live.default_privileges.clone(),
            schemas: catalog.schemas.clone(),
            objects: catalog.objects.clone(),
            windows: Vec::new(),
            created_roles: Vec::new(),
            created_roles_unread: None,
        })
    }
}
