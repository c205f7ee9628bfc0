//! Stable diagnostic codes. `E…` fail the build; `W…` are reported and do not.
//! Codes are never renumbered: tools and suppressions depend on them.

use super::Severity;
use serde::Serialize;

macro_rules! codes {
    ($($variant:ident = $code:literal: $summary:literal,)*) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code { $($variant,)* }

        impl Code {
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $code,)* }
            }

            /// One line describing what the code is about (for `--explain`-style listings).
            pub fn summary(self) -> &'static str {
                match self { $(Code::$variant => $summary,)* }
            }
        }
    };
}

codes! {
    Syntax = "E001": "the text does not follow the grammar",
    UnknownRole = "E002": "a role is used but not declared",
    UnknownTemplate = "E003": "a template is used but not declared",
    UnknownSchema = "E004": "a schema is used but not declared",
    Duplicate = "E005": "a name is declared twice",
    MembershipCycle = "E006": "roles are members of each other in a cycle",
    PrivilegeMismatch = "E007": "a privilege does not apply to the object type",
    ReservedName = "E008": "a role name is reserved by PostgreSQL",
    NameTooLong = "E009": "a name is longer than 63 bytes",
    TemplateArgument = "E010": "a template argument is missing, extra or of the wrong type",
    PlaintextPassword = "E011": "a password is written in plain text",
    MalformedVerifier = "E012": "a SCRAM verifier is malformed",
    UnsupportedCondition = "E013": "a condition PostgreSQL cannot enforce",
    MissingSecret = "E014": "a secret's environment variable is not set",
    UnknownVariable = "E015": "a variable is used but not defined",
    ImportFailed = "E016": "an import cannot be read",
    InvalidValue = "E017": "a value has the wrong form",
    VersionFeature = "E018": "a feature needs a newer PostgreSQL than the target version",
    NotAllowedHere = "E019": "a statement is not allowed in this block",
    BadOverride = "E020": "a `--set` override does not fit",
    TemplateRecursion = "E021": "templates use each other in a cycle",
    BadExtends = "E022": "a role extends an unknown role or forms a cycle",
    ExpansionLimit = "E023": "a `for` loop or template expands to more than the limit of declarations",
    UnusedGlob = "W001": "a glob matches no role",
    SchemaWithoutOwner = "W002": "a bulk grant on a schema without declared owner covers only existing objects",
    WindowClosed = "W003": "a membership window is not open at build time",
    Redundant = "W004": "a grant or membership is stated twice",
    ExclusiveRoles = "E030": "a role reaches two roles a policy declares `exclusive`",
    ForbiddenAttribute = "E031": "a role has an attribute a policy forbids",
    ForbiddenPublicGrant = "E032": "a grant to PUBLIC a policy forbids",
    TooManyAdminRights = "E033": "a role holds more admin rights than a policy allows",
    ExclusiveRolesWarn = "W030": "as E030, for a rule marked `warn`",
    ForbiddenAttributeWarn = "W031": "as E031, for a rule marked `warn`",
    ForbiddenPublicGrantWarn = "W032": "as E032, for a rule marked `warn`",
    TooManyAdminRightsWarn = "W033": "as E033, for a rule marked `warn`",
    DeepMemberships = "W034": "a chain of memberships is longer than a policy allows (always a warning)",
    TooManyObjects = "E035": "a role has privileges on more schemas or tables than a policy's limit",
    TooManyObjectsWarn = "W035": "as E035, for a rule marked `warn`",
    LimitUnproven = "W036": "a policy's limit cannot be proven: the objects it counts are not all known",
    UnusedRole = "W040": "a role without login that no role is a member of",
    WindowClosingSoon = "W041": "a membership window closes within 14 days of build time",
    ShadowedGrant = "W042": "a privilege granted directly that the grantee already has through a role",
}

impl Code {
    /// Whether the code reports a role or grant breaking a rule of a `policy` block, as an error
    /// or (for a rule marked `warn`, or `memberships deeper than`) as a warning. W036 is not
    /// one: it says a limit could not be checked, not that it is exceeded.
    pub fn is_policy_violation(self) -> bool {
        matches!(
            self,
            Code::ExclusiveRoles
                | Code::ForbiddenAttribute
                | Code::ForbiddenPublicGrant
                | Code::TooManyAdminRights
                | Code::TooManyObjects
                | Code::ExclusiveRolesWarn
                | Code::ForbiddenAttributeWarn
                | Code::ForbiddenPublicGrantWarn
                | Code::TooManyAdminRightsWarn
                | Code::DeepMemberships
                | Code::TooManyObjectsWarn
        )
    }

    pub fn severity(self) -> Severity {
        if self.as_str().starts_with('E') {
            Severity::Error
        } else {
            Severity::Warning
        }
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_well_formed() {
        let mut seen = std::collections::HashSet::new();
        for code in Code::ALL {
            let s = code.as_str();
            assert!(seen.insert(s), "{s} twice");
            assert!(s.len() == 4 && s[1..].bytes().all(|b| b.is_ascii_digit()), "{s}");
            assert!(matches!(&s[..1], "E" | "W"), "{s}");
            assert!(!code.summary().is_empty(), "{s}");
        }
    }

    /// Policy rules are numbered 030–039, and every such code but W036 is a violation.
    #[test]
    fn policy_violations_are_the_030s() {
        for code in Code::ALL {
            let in_range = code.as_str()[1..].starts_with("03");
            assert_eq!(code.is_policy_violation(), in_range && *code != Code::LimitUnproven, "{code}");
        }
    }
}
