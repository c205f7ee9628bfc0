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
    GrantOptionToPublic = "E024": "a grant option is granted to PUBLIC",
    UnknownDatabase = "E025": "an `in database` block names a database the policy does not declare",
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
    UnusedAllow = "W043": "a `// rolec: allow` comment names a code that is unknown, an error's, or reported nowhere it covers",
}

impl Code {
    /// Whether the code reports that something is absent from the whole policy (a role nobody
    /// uses): a finding that text which did not parse may contradict.
    pub fn reports_an_absence(self) -> bool {
        matches!(self, Code::UnusedRole)
    }

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

    /// The rows of the table under "## Diagnostics" in docs/language.md: each code (a range
    /// such as `W030–W033` stands for each code in it) with its meaning.
    fn documented() -> Vec<(String, String)> {
        let doc = include_str!("../../docs/language.md");
        let section = doc.split("\n## Diagnostics\n").nth(1).expect("a Diagnostics section");
        let section = section.split("\n## ").next().unwrap_or(section);
        let mut rows = Vec::new();
        for line in section.lines() {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let [_, code, meaning, _] = cells.as_slice() else { continue };
            if matches!(*code, "Code" | "---") {
                continue;
            }
            match code.split_once('–') {
                Some((first, last)) => {
                    let (letter, from, to) = (&first[..1], first[1..].parse::<u32>(), last[1..].parse::<u32>());
                    let (Ok(from), Ok(to)) = (from, to) else { panic!("range {code}") };
                    assert_eq!(letter, &last[..1], "range {code}");
                    rows.extend((from..=to).map(|n| (format!("{letter}{n:03}"), meaning.to_string())));
                }
                None => rows.push((code.to_string(), meaning.to_string())),
            }
        }
        rows
    }

    /// Every code is in the documentation's table once, and the table has no other code.
    #[test]
    fn the_documented_codes_are_the_codes() {
        let documented = documented();
        let in_doc: Vec<&str> = documented.iter().map(|(c, _)| c.as_str()).collect();
        let in_code: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
        for c in &in_code {
            assert_eq!(in_doc.iter().filter(|d| *d == c).count(), 1, "{c} in docs/language.md's table of codes");
        }
        for d in &in_doc {
            assert!(in_code.contains(d), "{d} is documented but is not a code");
        }
    }

    /// Where the documentation says a code is another's warning form ("as E030, for a rule
    /// marked `warn`"), its summary says so too, and the other code is an error.
    #[test]
    fn the_documented_warning_forms_are_the_summaries() {
        for (code, meaning) in documented() {
            // Unknown codes are the_documented_codes_are_the_codes's to report.
            let Some(code) = Code::ALL.iter().find(|c| c.as_str() == code) else { continue };
            let Some(rest) = meaning.strip_prefix("as E") else { continue };
            let first = &code.as_str()[1..];
            let error = Code::ALL.iter().find(|c| c.as_str() == format!("E{first}")).expect("an error form");
            assert!(rest.contains("for a rule marked `warn`"), "{code}: {meaning}");
            assert_eq!(code.summary(), format!("as {error}, for a rule marked `warn`"), "{code}");
            assert_eq!((code.severity(), error.severity()), (Severity::Warning, Severity::Error), "{code}");
        }
    }

    /// The codes in the last column of the table of rules under "## Policies" in
    /// docs/language.md are the policy violations, and W036 (a limit that cannot be proven).
    #[test]
    fn the_documented_rule_codes_are_the_policy_violations() {
        let doc = include_str!("../../docs/language.md");
        let section = doc.split("\n## Policies\n").nth(1).expect("a Policies section");
        let section = section.split("\n## ").next().unwrap_or(section);
        let mut in_doc = std::collections::BTreeSet::new();
        for line in section.lines().filter(|l| l.starts_with("| `")) {
            let last = line.trim_end_matches('|').rsplit('|').next().unwrap_or_default();
            for word in last.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()) {
                let code = Code::ALL.iter().find(|c| c.as_str() == word);
                in_doc.insert(*code.unwrap_or_else(|| panic!("`{word}` in the table of rules is not a code")));
            }
        }
        let expected: std::collections::BTreeSet<Code> =
            Code::ALL.iter().copied().filter(|c| c.is_policy_violation() || *c == Code::LimitUnproven).collect();
        assert_eq!(in_doc, expected);
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
