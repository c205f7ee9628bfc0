//! The syntax tree of one `.role` file.
//!
//! Spans are relative to the start of the top-level item that contains them (see [`Span`]),
//! so a tree compares equal to its previous version when an edit only moved items around:
//! the analysis reuses its results, and rendering maps spans back through the file's current
//! item offsets.

use serde::Serialize;

pub use crate::diagnostics::text::{FileId, Span};

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct SourceAst {
    pub items: Vec<Item>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Item {
    pub span: Span,
    pub kind: ItemKind,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ItemKind {
    Role(RoleDecl),
    Template(TemplateDecl),
    Let(LetDecl),
    For(ForLoop),
    Import(Import),
    External(Vec<Name>),
    /// `manage roles matching "glob", …`: existing roles plan/apply manage.
    Manage(Vec<Template>),
    Schema(SchemaDecl),
    Object(ObjectDecl),
    Defaults(DefaultsBlock),
    Public(Vec<Stmt>),
    Policy(PolicyDecl),
    /// `grant PRIVS on TARGET to ROLE, …` outside a role.
    Grant(Grant, Vec<Grantee>),
    /// `grant ROLE, … to MEMBER, … [options]`: memberships stated from the granted roles' side;
    /// the `MemberOf` holds the members (names, globs, `all roles`) and the options.
    GrantRole(Vec<Name>, MemberOf),
    /// `databases app, billing`: the databases of the cluster the policy covers.
    Databases(Vec<Name>),
    /// `in database NAME { items }`: grants, schemas, defaults, `public` blocks and inventory
    /// of one database.
    InDatabase(Name, Vec<Item>),
    /// Text that did not parse; its diagnostic was reported by the parser.
    Error,
}

/// A bare word, as written (case kept; folding is a question of meaning, not syntax).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Ident {
    pub span: Span,
    pub text: String,
}

/// A name of a role, schema, object or database.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Name {
    pub span: Span,
    pub kind: NameKind,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum NameKind {
    /// Folded to lower case, unless a variable of that name is in scope.
    Bare(String),
    /// Kept exactly; `{var}` parts are interpolated.
    Quoted(Template),
}

/// A double-quoted string with `{var}` interpolations.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Template {
    pub span: Span,
    pub parts: Vec<StrPart>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum StrPart {
    Lit(String),
    Var(Ident),
}

/// `schema.name` or `name`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct QName {
    pub span: Span,
    pub schema: Option<Name>,
    pub name: Name,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RoleDecl {
    pub is_user: bool,
    pub docs: Vec<String>,
    pub name: Name,
    /// `role x: template(args) without …`
    pub from_template: Option<TemplateUse>,
    /// `role x extends y { … }`
    pub extends: Option<Name>,
    pub body: Vec<Stmt>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TemplateUse {
    pub span: Span,
    pub name: Ident,
    pub args: Vec<Arg>,
    pub without: Vec<Without>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Arg {
    pub span: Span,
    pub name: Option<Ident>,
    pub value: Value,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TemplateDecl {
    pub docs: Vec<String>,
    pub name: Ident,
    pub params: Vec<Param>,
    pub body: Vec<Stmt>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Param {
    pub span: Span,
    pub name: Ident,
    pub ty: ParamType,
    pub default: Option<Value>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ParamType {
    Role,
    Schema,
    String,
    Int,
    Duration,
    List,
}

impl ParamType {
    pub fn as_str(self) -> &'static str {
        match self {
            ParamType::Role => "role",
            ParamType::Schema => "schema",
            ParamType::String => "string",
            ParamType::Int => "int",
            ParamType::Duration => "duration",
            ParamType::List => "list",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LetDecl {
    pub name: Ident,
    pub value: Value,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ForLoop {
    pub var: Ident,
    pub iter: Value,
    pub items: Vec<Item>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Import {
    /// `import "path.role"`, relative to the importing file.
    Path(String),
    /// `import std.module`
    Std(String),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SchemaDecl {
    pub docs: Vec<String>,
    pub name: Name,
    pub body: Vec<Stmt>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ObjectKind {
    Table,
    View,
    Sequence,
    Function,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ObjectDecl {
    pub kind: ObjectKind,
    pub name: QName,
    pub args: Option<Vec<TypeName>>,
    pub body: Vec<Stmt>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DefaultsBlock {
    pub for_roles: Vec<Name>,
    pub in_schemas: Vec<Name>,
    pub entries: Vec<DefaultEntry>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DefaultEntry {
    pub span: Span,
    pub grant: bool,
    pub privs: Vec<PrivSpan>,
    pub kind: DefaultKind,
    pub kind_span: Span,
    pub grantees: Vec<Grantee>,
    pub grant_option: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DefaultKind {
    Tables,
    Sequences,
    Functions,
    Routines,
    Types,
    Schemas,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Grantee {
    Public(Span),
    Role(Name),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PolicyDecl {
    pub docs: Vec<String>,
    pub name: Ident,
    pub applies_to: Option<Scope>,
    pub rules: Vec<PolicyRule>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Scope {
    Users,
    Roles,
    All,
    Targets(Vec<MemberTarget>),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PolicyRule {
    pub span: Span,
    pub warn: bool,
    pub kind: RuleKind,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum RuleKind {
    Exclusive(Vec<Name>),
    MaxSchemas(u64),
    MaxTables(u64),
    MaxTablesTagged(Name, u64),
    MaxAdminRights(u64),
    Forbid { attribute: Attribute, except: Vec<MemberTarget> },
    ForbidGrantToPublic { privs: Vec<PrivSpan>, target: Target },
    MembershipsDeeperThan(u64),
}

/// One statement inside a block.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Stmt {
    pub span: Span,
    pub kind: StmtKind,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum StmtKind {
    /// Boxed: the largest statement by far, and one of the rarer; every statement of a tree is
    /// as large as the largest kept inline.
    MemberOf(Box<MemberOf>),
    Without(Without),
    Attribute(Attribute),
    ConnectionLimit(i64),
    ValidUntil(Value),
    Password(Password),
    Set {
        param: Ident,
        value: Value,
        database: Option<Name>,
    },
    Comment(Template),
    Tags(Vec<Name>),
    Grant(Grant),
    Revoke(Grant),
    Use(TemplateUse),
    ConnectFrom {
        cidr: Ident,
        database: Option<Name>,
    },
    Owner(Name),
    Creators(Vec<Name>),
    /// A statement that did not parse; its diagnostic was reported by the parser.
    Error,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MemberOf {
    pub targets: Vec<MemberTarget>,
    pub admin: bool,
    /// `noinherit` → Some(false), `inherit` → Some(true).
    pub inherit: Option<bool>,
    /// `noset` → Some(false).
    pub set: Option<bool>,
    pub from: Option<Value>,
    pub until: Option<Value>,
    pub duration: Option<Value>,
    pub reason: Option<Template>,
    /// Conditions PostgreSQL cannot enforce (`when …`, `during …`), refused by the resolver.
    pub conditions: Vec<Span>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum MemberTarget {
    Name(Name),
    Glob { span: Span, pattern: String },
    AllRoles(Span),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Without {
    MemberOf(Span, Vec<MemberTarget>),
    Grant(Span, Grant),
    Set(Span, Ident),
    Attribute(Span, Attribute),
}

/// Role attributes are PostgreSQL's: defined in [`crate::pg::roles`].
pub use crate::pg::roles::AttributeKind;

/// `createdb` is `{ kind: Createdb, on: true }`, `nocreatedb` is `on: false`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Attribute {
    pub kind: AttributeKind,
    pub on: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Password {
    /// `secret("ENV")`: read from the environment at build time.
    Secret(Template),
    /// `scram "SCRAM-SHA-256$…"`: a verifier, validated before use.
    Scram(Template),
    /// A plain string: always refused.
    Plaintext(Span),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Grant {
    pub privs: Vec<PrivSpan>,
    pub target: Target,
    pub grant_option: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PrivSpan {
    pub span: Span,
    pub privilege: Privilege,
}

/// The privilege keywords are PostgreSQL's: defined in [`crate::pg::privilege`].
pub use crate::pg::Privilege;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Target {
    pub span: Span,
    pub kind: TargetKind,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum TargetKind {
    Table(QName),
    View(QName),
    Sequence(QName),
    /// `function`, `procedure` or `routine`, with argument types.
    Function(QName, Vec<TypeName>),
    Schema(Name),
    Database(Name),
    Type(QName),
    Domain(QName),
    Columns {
        columns: Vec<Name>,
        table: QName,
    },
    AllIn {
        kind: BulkKind,
        schema: Name,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BulkKind {
    Tables,
    Sequences,
    Functions,
    Routines,
}

/// A type in a function signature: words (`double precision`), an optional schema, a
/// modifier (`numeric(10, 2)`) and array brackets.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TypeName {
    pub span: Span,
    pub schema: Option<Name>,
    pub words: Vec<Name>,
    pub modifier: Vec<u32>,
    pub array_dims: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Value {
    pub span: Span,
    pub kind: ValueKind,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ValueKind {
    Str(Template),
    Int(i64),
    /// As written: `5min`, `4h`.
    Duration(String),
    /// As written: `2024-01-01`, `2024-01-01T10:00:00Z`.
    Timestamp(String),
    List(Vec<Value>),
    /// A bare word: a variable if one of that name is in scope, else a name.
    Word(Ident),
}
