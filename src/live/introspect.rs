//! Reads the live state of a server (PostgreSQL 14–18) over one connection, with one query per
//! catalog: roles with their comments and settings, memberships, object privileges, default
//! privileges and the inventory of the connected database. Passwords are never read (the
//! queries use pg_roles, not pg_authid).

use postgres::GenericClient;

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

/// One query for 14–18: the 16+ options come back NULL before 16 through to_jsonb.
const MEMBERS: &str = "
SELECT r.rolname::text, m.rolname::text, g.rolname::text, am.admin_option,
       (to_jsonb(am) ->> 'inherit_option')::boolean, (to_jsonb(am) ->> 'set_option')::boolean,
       m.rolinherit
FROM pg_catalog.pg_auth_members am
JOIN pg_catalog.pg_roles r ON r.oid = am.roleid
JOIN pg_catalog.pg_roles m ON m.oid = am.member
LEFT JOIN pg_catalog.pg_roles g ON g.oid = am.grantor
ORDER BY 1, 2, 3";

/// Object privileges of the connected database (and of every database), NULL ACLs expanded
/// with acldefault. System schemas are left out.
const PRIVILEGES: &str = "
WITH acl AS (
  SELECT 'rel' AS cat, c.relkind::text AS sub, n.nspname::text AS schema, c.relname::text AS name,
         NULL::text AS col, NULL::text[] AS args, c.relowner AS owner,
         aclexplode(COALESCE(c.relacl, acldefault(CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END::\"char\", c.relowner))) AS a
  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r','p','v','m','f','S')
UNION ALL
  SELECT 'column', NULL, n.nspname, c.relname, at.attname, NULL, c.relowner, aclexplode(at.attacl)
  FROM pg_catalog.pg_attribute at
  JOIN pg_catalog.pg_class c ON c.oid = at.attrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  WHERE at.attacl IS NOT NULL AND at.attnum > 0 AND NOT at.attisdropped
UNION ALL
  SELECT 'routine', p.prokind::text, n.nspname, p.proname,  NULL,
         ARRAY(SELECT pg_catalog.format_type(t, NULL) FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY AS u(t, i) ORDER BY i),
         p.proowner, aclexplode(COALESCE(p.proacl, acldefault('f', p.proowner)))
  FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
UNION ALL
  SELECT 'schema', NULL, NULL, n.nspname, NULL, NULL, n.nspowner, aclexplode(COALESCE(n.nspacl, acldefault('n', n.nspowner)))
  FROM pg_catalog.pg_namespace n
UNION ALL
  SELECT 'database', NULL, NULL, d.datname, NULL, NULL, d.datdba, aclexplode(COALESCE(d.datacl, acldefault('d', d.datdba)))
  FROM pg_catalog.pg_database d WHERE d.datname <> 'template0'
UNION ALL
  SELECT 'type', t.typtype::text, n.nspname, t.typname, NULL, NULL, t.typowner,
         aclexplode(COALESCE(t.typacl, acldefault('T', t.typowner)))
  FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
  WHERE t.typtype IN ('b','c','d','e','r','m') AND t.typcategory <> 'A'
    AND (t.typrelid = 0 OR (SELECT c.relkind FROM pg_catalog.pg_class c WHERE c.oid = t.typrelid) = 'c')
)
SELECT cat, sub, schema, name, col, args, pg_catalog.pg_get_userbyid(owner)::text,
       CASE WHEN (a).grantee = 0 THEN NULL ELSE pg_catalog.pg_get_userbyid((a).grantee)::text END,
       pg_catalog.pg_get_userbyid((a).grantor)::text, (a).privilege_type::text, (a).is_grantable
FROM acl
WHERE coalesce(schema, CASE WHEN cat = 'schema' THEN name END, '') NOT IN ('pg_catalog', 'information_schema')
  AND coalesce(schema, CASE WHEN cat = 'schema' THEN name END, '') !~ '^pg_(toast|temp_|toast_temp_)'";

const DEFAULT_ACL: &str = "
SELECT pg_catalog.pg_get_userbyid(d.defaclrole)::text,
       CASE WHEN d.defaclnamespace = 0 THEN NULL ELSE n.nspname::text END,
       CASE d.defaclobjtype WHEN 'r' THEN 'tables' WHEN 'S' THEN 'sequences' WHEN 'f' THEN 'functions'
                            WHEN 'T' THEN 'types' WHEN 'n' THEN 'schemas' WHEN 'L' THEN 'large_objects'
                            ELSE d.defaclobjtype::text END,
       ARRAY(SELECT CASE WHEN a.grantee = 0 THEN '' ELSE pg_catalog.pg_get_userbyid(a.grantee)::text END
             FROM aclexplode(d.defaclacl) a ORDER BY 1, a.privilege_type),
       ARRAY(SELECT a.privilege_type::text FROM aclexplode(d.defaclacl) a
             ORDER BY CASE WHEN a.grantee = 0 THEN '' ELSE pg_catalog.pg_get_userbyid(a.grantee)::text END, a.privilege_type),
       ARRAY(SELECT a.is_grantable FROM aclexplode(d.defaclacl) a
             ORDER BY CASE WHEN a.grantee = 0 THEN '' ELSE pg_catalog.pg_get_userbyid(a.grantee)::text END, a.privilege_type)
FROM pg_catalog.pg_default_acl d
LEFT JOIN pg_catalog.pg_namespace n ON n.oid = d.defaclnamespace";

const SCHEMAS: &str = "
SELECT n.nspname::text, pg_catalog.pg_get_userbyid(n.nspowner)::text
FROM pg_catalog.pg_namespace n
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp_|toast_temp_)'
ORDER BY 1";

const OBJECTS: &str = "
SELECT CASE WHEN c.relkind = 'S' THEN 'sequence' WHEN c.relkind IN ('v', 'm') THEN 'view' ELSE 'table' END,
       n.nspname::text, c.relname::text, NULL::text[], pg_catalog.pg_get_userbyid(c.relowner)::text
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r','p','v','m','f','S')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp_|toast_temp_)'
UNION ALL
SELECT 'function', n.nspname, p.proname,
       ARRAY(SELECT pg_catalog.format_type(t, NULL) FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY AS u(t, i) ORDER BY i),
       pg_catalog.pg_get_userbyid(p.proowner)::text
FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp_|toast_temp_)'
ORDER BY 1, 2, 3, 4";

/// Reads everything rolec manages. The error is the server's message.
///
/// The reads run in a transaction (a savepoint when the caller has one open) that is rolled
/// back, with `search_path = pg_catalog` set locally: `format_type` then qualifies every type
/// outside pg_catalog, so routines are named as `regprocedure` names them whatever the
/// caller's path (see [`crate::pg::types`]), and the caller's path is left as it was.
pub fn introspect<C: GenericClient>(client: &mut C) -> Result<LiveState, LiveError> {
    let mut tx = client.transaction().map_err(|e| server(&e))?;
    tx.batch_execute("SET LOCAL search_path = pg_catalog").map_err(|e| server(&e))?;
    let state = read(&mut tx)?;
    tx.rollback().map_err(|e| server(&e))?;
    Ok(state)
}

/// [`introspect`] plus the relative time windows applies started (`rolec.windows`) and the
/// roles they created (`rolec.roles`): what `plan`, `check` and `apply` compare with a policy.
/// An error when `rolec.windows` exists but the connecting role may not read it (every
/// relative window would look new); an unreadable `rolec.roles` only retires nothing.
pub fn introspect_with_windows<C: GenericClient>(client: &mut C) -> Result<LiveState, LiveError> {
    let mut state = introspect(client)?;
    state.windows = super::window_table::read(client).map_err(|e| server(&e))?.map_err(LiveError::Server)?;
    match super::role_table::read(client).map_err(|e| server(&e))? {
        Ok(roles) => state.created_roles = roles,
        Err(why) => state.created_roles_unread = Some(why),
    }
    Ok(state)
}

fn read<C: GenericClient>(client: &mut C) -> Result<LiveState, LiveError> {
    let q = |client: &mut C, sql: &str| client.query(sql, &[]).map_err(|e| server(&e));
    let head =
        q(client, "SELECT current_setting('server_version_num')::int4, current_database()::text, current_user::text")?;
    let head = head.first().ok_or(LiveError::NoVersion)?;
    let version: i32 = head.get(0);
    let mut state = LiveState {
        server_version: version as u32,
        database: head.get(1),
        current_user: head.get(2),
        ..LiveState::default()
    };
    if !(14..=18).contains(&state.major()) {
        return Err(LiveError::UnsupportedVersion(state.major()));
    }
    state.databases = q(
        client,
        "SELECT datname::text FROM pg_catalog.pg_database WHERE datallowconn AND NOT datistemplate ORDER BY 1",
    )?
    .iter()
    .map(|r| r.get(0))
    .collect();

    for row in q(client, ROLES)? {
        state.roles.push(LiveRole {
            name: row.get(0),
            superuser: row.get(1),
            createdb: row.get(2),
            createrole: row.get(3),
            login: row.get(4),
            replication: row.get(5),
            bypassrls: row.get(6),
            inherit: row.get(7),
            connection_limit: row.get(8),
            valid_until: row.get(9),
            settings: Vec::new(),
            comment: row.get(10),
        });
    }
    for row in q(client, SETTINGS)? {
        let (role, database, setting): (String, Option<String>, String) = (row.get(0), row.get(1), row.get(2));
        let (param, value) = setting.split_once('=').unwrap_or((setting.as_str(), ""));
        if let Some(r) = state.roles.iter_mut().find(|r| r.name == role) {
            r.settings.push(LiveSetting { database, param: param.to_string(), value: value.to_string() });
        }
    }
    let v16 = state.major() >= 16;
    for row in q(client, MEMBERS)? {
        let member_inherit: bool = row.get(6);
        let inherit: Option<bool> = row.get(4);
        let set: Option<bool> = row.get(5);
        state.memberships.push(LiveMembership {
            role: row.get(0),
            member: row.get(1),
            grantor: row.get(2),
            admin: row.get(3),
            inherit: if v16 { inherit.unwrap_or(member_inherit) } else { member_inherit },
            set: if v16 { set.unwrap_or(true) } else { true },
        });
    }
    for row in q(client, PRIVILEGES)? {
        let cat: String = row.get(0);
        let sub: Option<String> = row.get(1);
        let schema: Option<String> = row.get(2);
        let name: String = row.get(3);
        let sub = sub.unwrap_or_default();
        let object = match cat.as_str() {
            "rel" if sub == "S" => LiveObject::Sequence { schema: schema.unwrap_or_default(), name },
            "rel" => LiveObject::Table { schema: schema.unwrap_or_default(), name, relkind: sub },
            "column" => LiveObject::Column { schema: schema.unwrap_or_default(), table: name, column: row.get(4) },
            "routine" => {
                let args: Option<Vec<String>> = row.get(5);
                LiveObject::Routine {
                    schema: schema.unwrap_or_default(),
                    name,
                    args: args.unwrap_or_default().iter().map(|a| canonical_type(a)).collect(),
                    prokind: sub,
                }
            }
            "schema" => LiveObject::Schema { name },
            "database" => LiveObject::Database { name },
            _ if sub == "d" => LiveObject::Domain { schema: schema.unwrap_or_default(), name },
            _ => LiveObject::Type { schema: schema.unwrap_or_default(), name },
        };
        state.privileges.push(LivePrivilege {
            object,
            owner: row.get(6),
            grantee: row.get(7),
            grantor: row.get(8),
            privilege: row.get(9),
            grantable: row.get(10),
        });
    }
    state.privileges.sort();
    for row in q(client, DEFAULT_ACL)? {
        let grantees: Vec<String> = row.get(3);
        let privileges: Vec<String> = row.get(4);
        let grantable: Vec<bool> = row.get(5);
        let acl = grantees
            .into_iter()
            .zip(privileges)
            .zip(grantable)
            .map(|((g, privilege), grantable)| AclItem { grantee: (!g.is_empty()).then_some(g), privilege, grantable })
            .collect();
        state.default_privileges.push(LiveDefaultAcl { owner: row.get(0), schema: row.get(1), kind: row.get(2), acl });
    }
    state.default_privileges.sort();
    for row in q(client, SCHEMAS)? {
        state.schemas.push(CatalogSchema { name: row.get(0), owner: row.get(1) });
    }
    for row in q(client, OBJECTS)? {
        let kind: String = row.get(0);
        let args: Option<Vec<String>> = row.get(3);
        state.objects.push(CatalogObject {
            kind: match kind.as_str() {
                "sequence" => CatalogKind::Sequence,
                "view" => CatalogKind::View,
                "function" => CatalogKind::Function,
                _ => CatalogKind::Table,
            },
            schema: row.get(1),
            name: row.get(2),
            args: args.unwrap_or_default().iter().map(|a| canonical_type(a)).collect(),
            owner: row.get(4),
            tags: Vec::new(),
        });
    }
    Ok(state)
}

/// A server error as a [`LiveError`].
fn server(e: &postgres::Error) -> LiveError {
    LiveError::Server(error_text(e))
}
