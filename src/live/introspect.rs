//! Reads the live state of a server (PostgreSQL 14–18) over one connection, with one query per
//! catalog: roles with their comments and settings, memberships, object privileges, default
//! privileges and the inventory of the connected database. Passwords are never read (the
//! queries use pg_roles, not pg_authid).
//!
//! The queries go in two simple-query messages (the version first, then every catalog read):
//! two round trips instead of two per query, which is most of what a read takes beyond the
//! server's own work. The simple-query protocol sends every value as text: arrays come as JSON
//! (`array_to_json`), booleans as `t`/`f` (see [`Cells`]).

use postgres::{GenericClient, SimpleQueryMessage, SimpleQueryRow};

use super::connect::error_text;
use super::state::LiveState;
use super::LiveError;
use crate::model::catalog::{
    AclItem, LiveDefaultAcl, LiveMembership, LiveObject, LivePrivilege, LiveRole, LiveSetting,
};
use crate::model::catalog::{CatalogKind, CatalogObject, CatalogSchema};
use crate::pg::types::canonical_type;

const ROLES: &str = "
SELECT r.rolname::text, r.rolsuper, r.rolcreatedb, r.rolcreaterole, r.rolcanlogin, r.rolreplication,
       r.rolbypassrls, r.rolinherit, r.rolconnlimit,
       CASE WHEN r.rolvaliduntil = '-infinity' THEN '-infinity'
            WHEN r.rolvaliduntil IS NULL OR NOT isfinite(r.rolvaliduntil) THEN NULL
            ELSE to_char(r.rolvaliduntil AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') END,
       d.description
FROM pg_catalog.pg_roles r
LEFT JOIN pg_catalog.pg_shdescription d ON d.objoid = r.oid AND d.classoid = 'pg_catalog.pg_authid'::regclass
WHERE r.rolname !~ '^pg_'
ORDER BY 1";

const SETTINGS: &str = "
SELECT r.rolname::text, d.datname::text, c.setting
FROM pg_catalog.pg_db_role_setting s
JOIN pg_catalog.pg_roles r ON r.oid = s.setrole
LEFT JOIN pg_catalog.pg_database d ON d.oid = s.setdatabase
CROSS JOIN LATERAL unnest(s.setconfig) AS c(setting)
WHERE s.setrole <> 0
ORDER BY 1, 2 NULLS FIRST, 3";

/// Memberships; `{options}` is [`MEMBER_OPTIONS_16`] or [`MEMBER_OPTIONS_14`].
const MEMBERS: &str = "
SELECT r.rolname::text, m.rolname::text, g.rolname::text, am.admin_option, {options}, m.rolinherit
FROM pg_catalog.pg_auth_members am
JOIN pg_catalog.pg_roles r ON r.oid = am.roleid
JOIN pg_catalog.pg_roles m ON m.oid = am.member
LEFT JOIN pg_catalog.pg_roles g ON g.oid = am.grantor
ORDER BY 1, 2, 3";

/// The per-membership INHERIT and SET options of 16+.
const MEMBER_OPTIONS_16: &str = "am.inherit_option, am.set_option";
/// Before 16 a membership has no options of its own (the member's INHERIT decides).
const MEMBER_OPTIONS_14: &str = "NULL::boolean, NULL::boolean";

/// Object privileges of the connected database (and of every database), NULL ACLs expanded
/// with acldefault. System schemas are left out in each part, before anything is expanded:
/// pg_catalog's thousands of functions are most of the work otherwise.
const PRIVILEGES: &str = "
SELECT cat, sub, schema, name, col, args, pg_catalog.pg_get_userbyid(owner)::text,
       CASE WHEN (a).grantee = 0 THEN NULL ELSE pg_catalog.pg_get_userbyid((a).grantee)::text END,
       pg_catalog.pg_get_userbyid((a).grantor)::text, (a).privilege_type::text, (a).is_grantable
FROM (
  SELECT 'rel' AS cat, c.relkind::text AS sub, n.nspname::text AS schema, c.relname::text AS name,
         NULL::text AS col, NULL::json AS args, c.relowner AS owner,
         aclexplode(COALESCE(c.relacl, acldefault(CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END::\"char\", c.relowner))) AS a
  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r','p','v','m','f','S') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp_|toast_temp_)'
UNION ALL
  SELECT 'column', NULL, n.nspname, c.relname, at.attname, NULL, c.relowner, aclexplode(at.attacl)
  FROM pg_catalog.pg_attribute at
  JOIN pg_catalog.pg_class c ON c.oid = at.attrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  WHERE at.attacl IS NOT NULL AND at.attnum > 0 AND NOT at.attisdropped AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp_|toast_temp_)'
UNION ALL
  SELECT 'routine', p.prokind::text, n.nspname, p.proname,  NULL,
         array_to_json(ARRAY(SELECT pg_catalog.format_type(t, NULL) FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY AS u(t, i) ORDER BY i)),
         p.proowner, aclexplode(COALESCE(p.proacl, acldefault('f', p.proowner)))
  FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
  WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp_|toast_temp_)'
UNION ALL
  SELECT 'schema', NULL, NULL, n.nspname, NULL, NULL, n.nspowner, aclexplode(COALESCE(n.nspacl, acldefault('n', n.nspowner)))
  FROM pg_catalog.pg_namespace n
  WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp_|toast_temp_)'
UNION ALL
  SELECT 'database', NULL, NULL, d.datname, NULL, NULL, d.datdba, aclexplode(COALESCE(d.datacl, acldefault('d', d.datdba)))
  FROM pg_catalog.pg_database d WHERE d.datname <> 'template0'
UNION ALL
  SELECT 'type', t.typtype::text, n.nspname, t.typname, NULL, NULL, t.typowner,
         aclexplode(COALESCE(t.typacl, acldefault('T', t.typowner)))
  FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
  WHERE t.typtype IN ('b','c','d','e','r','m') AND t.typcategory <> 'A'
    AND (t.typrelid = 0 OR (SELECT c.relkind FROM pg_catalog.pg_class c WHERE c.oid = t.typrelid) = 'c')
    AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp_|toast_temp_)'
) acl";

const DEFAULT_ACL: &str = "
SELECT pg_catalog.pg_get_userbyid(d.defaclrole)::text,
       CASE WHEN d.defaclnamespace = 0 THEN NULL ELSE n.nspname::text END,
       CASE d.defaclobjtype WHEN 'r' THEN 'tables' WHEN 'S' THEN 'sequences' WHEN 'f' THEN 'functions'
                            WHEN 'T' THEN 'types' WHEN 'n' THEN 'schemas' WHEN 'L' THEN 'large_objects'
                            ELSE d.defaclobjtype::text END,
       array_to_json(ARRAY(SELECT CASE WHEN a.grantee = 0 THEN '' ELSE pg_catalog.pg_get_userbyid(a.grantee)::text END
             FROM aclexplode(d.defaclacl) a ORDER BY 1, a.privilege_type)),
       array_to_json(ARRAY(SELECT a.privilege_type::text FROM aclexplode(d.defaclacl) a
             ORDER BY CASE WHEN a.grantee = 0 THEN '' ELSE pg_catalog.pg_get_userbyid(a.grantee)::text END, a.privilege_type)),
       array_to_json(ARRAY(SELECT a.is_grantable FROM aclexplode(d.defaclacl) a
             ORDER BY CASE WHEN a.grantee = 0 THEN '' ELSE pg_catalog.pg_get_userbyid(a.grantee)::text END, a.privilege_type))
FROM pg_catalog.pg_default_acl d
LEFT JOIN pg_catalog.pg_namespace n ON n.oid = d.defaclnamespace";

const SCHEMAS: &str = "
SELECT n.nspname::text, pg_catalog.pg_get_userbyid(n.nspowner)::text
FROM pg_catalog.pg_namespace n
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp_|toast_temp_)'
ORDER BY 1";

const OBJECTS: &str = "
SELECT kind, schema, name, array_to_json(args), owner FROM (
SELECT CASE WHEN c.relkind = 'S' THEN 'sequence' WHEN c.relkind IN ('v', 'm') THEN 'view' ELSE 'table' END AS kind,
       n.nspname::text AS schema, c.relname::text AS name, NULL::text[] AS args,
       pg_catalog.pg_get_userbyid(c.relowner)::text AS owner
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r','p','v','m','f','S')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp_|toast_temp_)'
UNION ALL
SELECT 'function', n.nspname, p.proname,
       ARRAY(SELECT pg_catalog.format_type(t, NULL) FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY AS u(t, i) ORDER BY i),
       pg_catalog.pg_get_userbyid(p.proowner)::text
FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp_|toast_temp_)'
) o
ORDER BY 1, 2, 3, o.args";

/// Reads everything rolec manages. The error is the server's message.
///
/// The reads run in a transaction (a savepoint when the caller has one open) that is rolled
/// back, with `search_path = pg_catalog` set locally: `format_type` then qualifies every type
/// outside pg_catalog, so routines are named as `regprocedure` names them whatever the
/// caller's path (see [`crate::pg::types`]), and the caller's path is left as it was.
pub fn introspect<C: GenericClient>(client: &mut C) -> Result<LiveState, LiveError> {
    introspect_telling(client, &mut |_| ())
}

/// [`introspect`], calling `version_known` with the server's `server_version_num` as soon as
/// it is read, before the catalogs are: a caller can load the policy for that version while
/// they are read.
pub fn introspect_telling<C: GenericClient>(
    client: &mut C,
    version_known: &mut dyn FnMut(u32),
) -> Result<LiveState, LiveError> {
    let mut tx = client.transaction().map_err(|e| server(&e))?;
    let state = read(&mut tx, version_known)?;
    tx.rollback().map_err(|e| server(&e))?;
    Ok(state)
}

/// [`introspect`] plus the relative time windows applies started (`rolec.windows`) and the
/// roles they created (`rolec.roles`): what `plan`, `check` and `apply` compare with a policy.
/// An error when `rolec.windows` exists but the connecting role may not read it (every
/// relative window would look new); an unreadable `rolec.roles` only retires nothing.
pub fn introspect_with_windows<C: GenericClient>(client: &mut C) -> Result<LiveState, LiveError> {
    introspect_with_windows_telling(client, &mut |_| ())
}

/// [`introspect_with_windows`], calling `version_known` as [`introspect_telling`] does.
pub fn introspect_with_windows_telling<C: GenericClient>(
    client: &mut C,
    version_known: &mut dyn FnMut(u32),
) -> Result<LiveState, LiveError> {
    let mut state = introspect_telling(client, version_known)?;
    state.windows = super::window_table::read(client).map_err(|e| server(&e))?.map_err(LiveError::Server)?;
    match super::role_table::read(client).map_err(|e| server(&e))? {
        Ok(roles) => state.created_roles = roles,
        Err(why) => state.created_roles_unread = Some(why),
    }
    Ok(state)
}

/// The first message: the search path, then who and where the connection is.
const HEAD: &str = "SET LOCAL search_path = pg_catalog;
SELECT current_setting('server_version_num'), current_database()::text, current_user::text";

const DATABASES: &str =
    "SELECT datname::text FROM pg_catalog.pg_database WHERE datallowconn AND NOT datistemplate ORDER BY 1";

fn read<C: GenericClient>(client: &mut C, version_known: &mut dyn FnMut(u32)) -> Result<LiveState, LiveError> {
    let head = results(client, HEAD, 2)?;
    let head = Cells(head[1].first().ok_or(LiveError::NoVersion)?);
    let version: u32 = head.text(0)?.parse().map_err(|_| LiveError::NoVersion)?;
    let mut state = LiveState {
        server_version: version,
        database: head.text(1)?,
        current_user: head.text(2)?,
        ..LiveState::default()
    };
    if !(14..=18).contains(&state.major()) {
        return Err(LiveError::UnsupportedVersion(state.major()));
    }
    version_known(version);
    let v16 = state.major() >= 16;
    let members = MEMBERS.replace("{options}", if v16 { MEMBER_OPTIONS_16 } else { MEMBER_OPTIONS_14 });
    // Every catalog read in one message, each statement a result.
    let queries = [DATABASES, ROLES, SETTINGS, &members, PRIVILEGES, DEFAULT_ACL, SCHEMAS, OBJECTS];
    let mut results = results(client, &queries.join(";\n"), queries.len())?.into_iter();
    let mut next = || results.next().unwrap_or_default();
    let (databases, roles, settings, memberships) = (next(), next(), next(), next());
    let (privileges, default_acl, schemas, objects) = (next(), next(), next(), next());

    for row in &databases {
        state.databases.push(Cells(row).text(0)?);
    }
    for row in &roles {
        let row = Cells(row);
        state.roles.push(LiveRole {
            name: row.text(0)?,
            superuser: row.bool(1)?,
            createdb: row.bool(2)?,
            createrole: row.bool(3)?,
            login: row.bool(4)?,
            replication: row.bool(5)?,
            bypassrls: row.bool(6)?,
            inherit: row.bool(7)?,
            connection_limit: row.int(8)?,
            valid_until: row.opt_text(9)?,
            settings: Vec::new(),
            comment: row.opt_text(10)?,
        });
    }
    for row in &settings {
        let row = Cells(row);
        let (role, database, setting) = (row.text(0)?, row.opt_text(1)?, row.text(2)?);
        let (param, value) = setting.split_once('=').unwrap_or((setting.as_str(), ""));
        if let Some(r) = state.roles.iter_mut().find(|r| r.name == role) {
            r.settings.push(LiveSetting { database, param: param.to_string(), value: value.to_string() });
        }
    }
    for row in &memberships {
        let row = Cells(row);
        let member_inherit = row.bool(6)?;
        state.memberships.push(LiveMembership {
            role: row.text(0)?,
            member: row.text(1)?,
            grantor: row.opt_text(2)?,
            admin: row.bool(3)?,
            inherit: if v16 { row.opt_bool(4)?.unwrap_or(member_inherit) } else { member_inherit },
            set: if v16 { row.opt_bool(5)?.unwrap_or(true) } else { true },
        });
    }
    for row in &privileges {
        let row = Cells(row);
        let cat = row.text(0)?;
        let sub = row.opt_text(1)?.unwrap_or_default();
        let schema = row.opt_text(2)?;
        let name = row.text(3)?;
        let object = match cat.as_str() {
            "rel" if sub == "S" => LiveObject::Sequence { schema: schema.unwrap_or_default(), name },
            "rel" => LiveObject::Table { schema: schema.unwrap_or_default(), name, relkind: sub },
            "column" => LiveObject::Column { schema: schema.unwrap_or_default(), table: name, column: row.text(4)? },
            "routine" => {
                LiveObject::Routine { schema: schema.unwrap_or_default(), name, args: row.types(5)?, prokind: sub }
            }
            "schema" => LiveObject::Schema { name },
            "database" => LiveObject::Database { name },
            _ if sub == "d" => LiveObject::Domain { schema: schema.unwrap_or_default(), name },
            _ => LiveObject::Type { schema: schema.unwrap_or_default(), name },
        };
        state.privileges.push(LivePrivilege {
            object,
            owner: row.text(6)?,
            grantee: row.opt_text(7)?,
            grantor: row.text(8)?,
            privilege: row.text(9)?,
            grantable: row.bool(10)?,
        });
    }
    state.privileges.sort();
    for row in &default_acl {
        let row = Cells(row);
        let grantees: Vec<String> = row.json(3)?;
        let privileges: Vec<String> = row.json(4)?;
        let grantable: Vec<bool> = row.json(5)?;
        let acl = grantees
            .into_iter()
            .zip(privileges)
            .zip(grantable)
            .map(|((g, privilege), grantable)| AclItem { grantee: (!g.is_empty()).then_some(g), privilege, grantable })
            .collect();
        state.default_privileges.push(LiveDefaultAcl {
            owner: row.text(0)?,
            schema: row.opt_text(1)?,
            kind: row.text(2)?,
            acl,
        });
    }
    state.default_privileges.sort();
    for row in &schemas {
        let row = Cells(row);
        state.schemas.push(CatalogSchema { name: row.text(0)?, owner: row.opt_text(1)? });
    }
    for row in &objects {
        let row = Cells(row);
        state.objects.push(CatalogObject {
            kind: match row.text(0)?.as_str() {
                "sequence" => CatalogKind::Sequence,
                "view" => CatalogKind::View,
                "function" => CatalogKind::Function,
                _ => CatalogKind::Table,
            },
            schema: row.text(1)?,
            name: row.text(2)?,
            args: row.types(3)?,
            owner: row.opt_text(4)?,
            tags: Vec::new(),
        });
    }
    Ok(state)
}

/// Runs `sql` (`count` statements) as one simple query; the rows of each statement, in order.
fn results<C: GenericClient>(client: &mut C, sql: &str, count: usize) -> Result<Vec<Vec<SimpleQueryRow>>, LiveError> {
    let mut out = vec![Vec::new()];
    for message in client.simple_query(sql).map_err(|e| server(&e))? {
        match message {
            SimpleQueryMessage::Row(row) => {
                if let Some(rows) = out.last_mut() {
                    rows.push(row)
                }
            }
            SimpleQueryMessage::CommandComplete(_) => out.push(Vec::new()),
            _ => {}
        }
    }
    // The rows after the last statement's completion: none.
    out.pop();
    if out.len() != count {
        return Err(unreadable(format!("{} results for {count} statements", out.len())));
    }
    Ok(out)
}

/// A row of a simple query, whose values come as text: read as the queries above write them.
struct Cells<'r>(&'r SimpleQueryRow);

impl Cells<'_> {
    fn opt(&self, i: usize) -> Result<Option<&str>, LiveError> {
        self.0.try_get(i).map_err(|e| unreadable(e.to_string()))
    }

    fn opt_text(&self, i: usize) -> Result<Option<String>, LiveError> {
        Ok(self.opt(i)?.map(str::to_string))
    }

    fn text(&self, i: usize) -> Result<String, LiveError> {
        self.opt_text(i)?.ok_or_else(|| unreadable(format!("column {} is NULL", i + 1)))
    }

    /// PostgreSQL writes a boolean as `t` or `f`.
    fn opt_bool(&self, i: usize) -> Result<Option<bool>, LiveError> {
        match self.opt(i)? {
            None => Ok(None),
            Some("t") => Ok(Some(true)),
            Some("f") => Ok(Some(false)),
            Some(other) => Err(unreadable(format!("column {}: `{other}` is not a boolean", i + 1))),
        }
    }

    fn bool(&self, i: usize) -> Result<bool, LiveError> {
        self.opt_bool(i)?.ok_or_else(|| unreadable(format!("column {} is NULL", i + 1)))
    }

    fn int(&self, i: usize) -> Result<i32, LiveError> {
        let text = self.text(i)?;
        text.parse().map_err(|_| unreadable(format!("column {}: `{text}` is not an integer", i + 1)))
    }

    /// An array sent as JSON (`array_to_json`).
    fn json<T: serde::de::DeserializeOwned>(&self, i: usize) -> Result<T, LiveError> {
        let text = self.text(i)?;
        serde_json::from_str(&text).map_err(|e| unreadable(format!("column {}: {e}", i + 1)))
    }

    /// Argument types as `format_type` names them (a JSON array, NULL for none), canonical.
    fn types(&self, i: usize) -> Result<Vec<String>, LiveError> {
        let names: Vec<String> = match self.opt(i)? {
            None => Vec::new(),
            Some(_) => self.json(i)?,
        };
        Ok(names.iter().map(|a| canonical_type(a)).collect())
    }
}

/// An answer of the server that is not as the queries above write it.
fn unreadable(why: String) -> LiveError {
    LiveError::Server(format!("unexpected answer from the server while reading its catalogs: {why}"))
}

/// A server error as a [`LiveError`].
fn server(e: &postgres::Error) -> LiveError {
    LiveError::Server(error_text(e))
}
