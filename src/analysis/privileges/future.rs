//! Objects created later: the default ACLs `up.sql` leaves, replayed from its `ALTER DEFAULT
//! PRIVILEGES` statements, and the answers for an object a role creates afterwards.

use std::collections::BTreeMap;

use serde::Serialize;

use super::bits::{bit, bits, fitting, mask};
use super::{chain_len, Grounds, PrivilegeAnalysis};
use crate::analysis::membership::{Chain, Mode};
use crate::model::{Grantee, Model};
use crate::pg::{AclKind, Privilege};
use crate::syntax::ast::DefaultKind;
use crate::syntax::write::name;

/// The kinds of objects default privileges apply to (`ALTER DEFAULT PRIVILEGES … ON TABLES`,
/// `SEQUENCES`, `FUNCTIONS`/`ROUTINES`, `SCHEMAS`). Views take the defaults of tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FutureKind {
    Table,
    Sequence,
    Function,
    Schema,
}

impl FutureKind {
    pub const ALL: [FutureKind; 4] =
        [FutureKind::Table, FutureKind::Sequence, FutureKind::Function, FutureKind::Schema];

    /// The kind of object, for the privileges that fit it.
    fn acl_kind(self) -> AclKind {
        match self {
            FutureKind::Table => AclKind::Relation,
            FutureKind::Sequence => AclKind::Sequence,
            FutureKind::Function => AclKind::Routine,
            FutureKind::Schema => AclKind::Schema,
        }
    }

    /// The kind of a `defaults` entry; `None` for types (not analysed).
    pub fn of_default(kind: DefaultKind) -> Option<FutureKind> {
        match kind {
            DefaultKind::Tables => Some(FutureKind::Table),
            DefaultKind::Sequences => Some(FutureKind::Sequence),
            DefaultKind::Functions | DefaultKind::Routines => Some(FutureKind::Function),
            DefaultKind::Schemas => Some(FutureKind::Schema),
            DefaultKind::Types => None,
        }
    }

    /// `tables`, `sequences`, `functions`, `schemas`.
    pub fn plural(self) -> &'static str {
        match self {
            FutureKind::Table => "tables",
            FutureKind::Sequence => "sequences",
            FutureKind::Function => "functions",
            FutureKind::Schema => "schemas",
        }
    }

    /// Whether PostgreSQL knows the privilege on this kind of object (MAINTAIN from 17).
    pub fn fits(self, privilege: Privilege, version: u32) -> bool {
        privilege != Privilege::All && fitting(self.acl_kind(), version) & bit(privilege) != 0
    }
}

/// An object that does not exist yet: one that role `creator` (its owner) creates later, in
/// schema `schema`. `schema: None` stands for a schema without per-schema default privileges
/// for the creator; it is ignored for schemas (which live in no schema).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct FutureObject {
    pub kind: FutureKind,
    pub schema: Option<String>,
    pub creator: String,
}

impl FutureObject {
    /// `future tables in schema app created by app_owner`; `future tables created by
    /// app_owner` when no schema is named.
    pub fn describe(&self) -> String {
        match (&self.schema, self.kind) {
            (Some(s), k) if k != FutureKind::Schema => {
                format!("future {} in schema {} created by {}", k.plural(), name(s), name(&self.creator))
            }
            (_, k) => format!("future {} created by {}", k.plural(), name(&self.creator)),
        }
    }
}

/// Why a role has (or can grant) a privilege on an object created later.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum FutureGrounds {
    Superuser,
    /// The role has the privileges of the creator, which owns the new object: the built-in
    /// owner privileges (no global default took them away), or, for a grant option, the
    /// owner's implicit grant options.
    Owner {
        creator: String,
        via: Chain,
    },
    /// `model.default_privileges[entry]` (an `ALTER DEFAULT PRIVILEGES … GRANT`, explicit or
    /// implied by a bulk grant) gives it to a role `via` reaches (USAGE mode).
    Default {
        entry: usize,
        via: Chain,
    },
    /// `model.default_privileges[entry]` gives it to PUBLIC.
    DefaultPublic {
        entry: usize,
    },
    /// A predefined role (`pg_read_all_data`, `pg_write_all_data`, `pg_maintain`).
    Predefined {
        role: String,
        via: Chain,
    },
    /// PostgreSQL's built-in default ACL gives it to PUBLIC (EXECUTE on functions).
    BuiltinPublic,
}

/// One grantee's entry in a default ACL, with the model default-privilege entries that gave
/// each bit (`(bits, index)` in the order granted; bits no pair covers are built in).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
struct AclItem {
    grantee: Grantee,
    privileges: u16,
    options: u16,
    privileges_from: Vec<(u16, u32)>,
    options_from: Vec<(u16, u32)>,
}

/// A default ACL as pg_default_acl stores it: the complete ACL for a global entry, only the
/// additions for a per-schema one.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub(super) struct DefaultAcl {
    items: Vec<AclItem>,
}

impl DefaultAcl {
    /// acldefault: the owner has every privilege (grant options are implicit); PUBLIC has its
    /// built-in ones (EXECUTE on functions).
    fn builtin(kind: FutureKind, owner: &str, version: u32) -> DefaultAcl {
        let mut acl = DefaultAcl::default();
        acl.item(&Grantee::Role(owner.to_string())).privileges = fitting(kind.acl_kind(), version);
        let public = kind.acl_kind().public_defaults();
        if !public.is_empty() {
            acl.item(&Grantee::Public).privileges = bits(public.iter().copied());
        }
        acl
    }

    fn item(&mut self, grantee: &Grantee) -> &mut AclItem {
        let i = match self.items.iter().position(|i| &i.grantee == grantee) {
            Some(i) => i,
            None => {
                self.items.push(AclItem {
                    grantee: grantee.clone(),
                    privileges: 0,
                    options: 0,
                    privileges_from: Vec::new(),
                    options_from: Vec::new(),
                });
                self.items.len() - 1
            }
        };
        &mut self.items[i]
    }

    /// `GRANT` bits `m` (each from one of `sources`); grant options only to roles (PostgreSQL
    /// refuses them for PUBLIC).
    fn grant(&mut self, grantee: &Grantee, m: u16, option: bool, sources: &[(u16, u32)]) {
        let option = option && *grantee != Grantee::Public;
        let item = self.item(grantee);
        item.privileges |= m;
        item.privileges_from.extend(sources.iter().map(|&(b, i)| (b & m, i)).filter(|&(b, _)| b != 0));
        if option {
            item.options |= m;
            item.options_from.extend(sources.iter().map(|&(b, i)| (b & m, i)).filter(|&(b, _)| b != 0));
        }
    }

    /// `REVOKE` bits `m`: the privileges and their grant options.
    fn revoke(&mut self, grantee: &Grantee, m: u16) {
        let item = self.item(grantee);
        item.privileges &= !m;
        item.options &= !m;
        for from in [&mut item.privileges_from, &mut item.options_from] {
            for (b, _) in from.iter_mut() {
                *b &= !m;
            }
            from.retain(|(b, _)| *b != 0);
        }
    }
}

/// Replays the `ALTER DEFAULT PRIVILEGES` statements of `up.sql`, in their order.
pub(super) fn default_acls(model: &Model, version: u32) -> BTreeMap<(String, Option<String>, FutureKind), DefaultAcl> {
    let mut out: BTreeMap<(String, Option<String>, FutureKind), DefaultAcl> = BTreeMap::new();
    for (d, sources) in crate::model::merged_default_privileges(&model.default_privileges) {
        let Some(kind) = FutureKind::of_default(d.kind) else { continue };
        let m = mask(&d.privileges, kind.acl_kind(), version);
        if m == 0 {
            continue;
        }
        let schema = if kind == FutureKind::Schema { None } else { d.schema.clone() };
        let global = schema.is_none();
        let acl = out.entry((d.owner.clone(), schema, kind)).or_insert_with(|| {
            if global {
                DefaultAcl::builtin(kind, &d.owner, version)
            } else {
                DefaultAcl::default()
            }
        });
        if d.revoke {
            acl.revoke(&d.grantee, m);
        } else {
            let sources: Vec<(u16, u32)> = sources
                .iter()
                .map(|&i| (mask(&model.default_privileges[i].privileges, kind.acl_kind(), version), i as u32))
                .collect();
            acl.grant(&d.grantee, m, d.grant_option, &sources);
        }
    }
    out
}

impl PrivilegeAnalysis {
    /// What `role` would have on an object created later: `has_*_privilege(role, new object,
    /// privilege)` once `object.creator` creates it (in `object.schema`). `Some` with the
    /// reason when true; a privilege that does not fit the kind, and `all`, are `None`.
    pub fn answer_future(&self, role: &str, privilege: Privilege, object: &FutureObject) -> Option<FutureGrounds> {
        self.future_in(role, privilege, object, false)
    }

    /// Like [`answer_future`](Self::answer_future), `… WITH GRANT OPTION`.
    pub fn answer_future_grant_option(
        &self,
        role: &str,
        privilege: Privilege,
        object: &FutureObject,
    ) -> Option<FutureGrounds> {
        self.future_in(role, privilege, object, true)
    }

    /// The (creator, schema, kind) default ACLs `up.sql` leaves (`None`: the global entry),
    /// for listing the objects created later that the policy says something about.
    pub fn future_scopes(&self) -> impl Iterator<Item = FutureObject> + '_ {
        self.future.keys().map(|(creator, schema, kind)| FutureObject {
            kind: *kind,
            schema: schema.clone(),
            creator: creator.clone(),
        })
    }

    fn future_in(
        &self,
        role: &str,
        privilege: Privilege,
        object: &FutureObject,
        option: bool,
    ) -> Option<FutureGrounds> {
        let kind = object.kind.acl_kind();
        let p = bit(privilege);
        if !object.kind.fits(privilege, self.target_version) {
            return None;
        }
        if self.members.is_superuser(role) {
            return Some(FutureGrounds::Superuser);
        }
        let creator = &object.creator;
        if option {
            // The owner implicitly holds every grant option, whatever its ACL entry says.
            if let Some(via) = self.members.answer(role, creator, Mode::Usage) {
                return Some(FutureGrounds::Owner { creator: creator.clone(), via });
            }
        }
        let fallback = DefaultAcl::builtin(object.kind, creator, self.target_version);
        let mut global = self.future.get(&(creator.clone(), None, object.kind)).unwrap_or(&fallback);
        let mut schema = match (&object.schema, object.kind) {
            (Some(s), k) if k != FutureKind::Schema => self.future.get(&(creator.clone(), Some(s.clone()), k)),
            _ => None,
        };
        // PostgreSQL's aclmerge returns NULL when both ACLs are empty, and a NULL ACL is the
        // built-in default: a global entry that revoked everything from everyone gives the new
        // object the built-in privileges back, unless a per-schema entry adds something.
        let empty = |acl: &DefaultAcl| acl.items.iter().all(|i| i.privileges == 0);
        if empty(global) && schema.is_none_or(empty) {
            global = &fallback;
            schema = None;
        }
        let mut best: Option<FutureGrounds> = None;
        let mut best_len = usize::MAX;
        let mut public: Option<FutureGrounds> = None;
        let mut builtin_public = false;
        for item in global.items.iter().chain(schema.into_iter().flat_map(|a| a.items.iter())) {
            let (bits, from) =
                if option { (item.options, &item.options_from) } else { (item.privileges, &item.privileges_from) };
            if bits & p == 0 {
                continue;
            }
            let entry = from.iter().find(|(b, _)| b & p != 0).map(|&(_, i)| i as usize);
            match (&item.grantee, entry) {
                (Grantee::Public, Some(entry)) => {
                    public.get_or_insert(FutureGrounds::DefaultPublic { entry });
                }
                (Grantee::Public, None) => builtin_public = true,
                (Grantee::Role(g), entry) => {
                    if let Some(via) = self.members.answer(role, g, Mode::Usage) {
                        let len = chain_len(&via);
                        if len < best_len {
                            best_len = len;
                            best = Some(match entry {
                                Some(entry) => FutureGrounds::Default { entry, via },
                                None => FutureGrounds::Owner { creator: g.clone(), via },
                            });
                        }
                    }
                }
            }
        }
        if best.is_some() || option {
            return best;
        }
        if public.is_some() {
            return public;
        }
        if let Some(Grounds::Predefined { role, via }) = self.predefined(role, privilege, kind) {
            return Some(FutureGrounds::Predefined { role, via });
        }
        builtin_public.then_some(FutureGrounds::BuiltinPublic)
    }
}
