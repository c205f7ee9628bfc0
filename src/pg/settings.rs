//! Role settings: how a configuration parameter is named in SQL ([`setting_name`]), and how
//! PostgreSQL stores values in `pg_db_role_setting`, so that a setting the policy has is never
//! planned again once applied.
//!
//! rolec sets a setting with one string literal per value (`SET search_path = '$user', 'My
//! Schema', 'public'`). The server stores the values joined with `, `; for the settings marked
//! `GUC_LIST_QUOTE` it first quotes each value as an identifier (`"$user", "My Schema", public`).
//! The stored text is therefore read back into values ([`stored_values`]) and compared value by
//! value, whatever the server chose to quote (it also quotes keywords such as `"user"`).

use super::quote::{ident, is_plain_identifier};

/// A configuration parameter name as `SET`, `RESET` and `ALTER ROLE … SET` read it: each
/// dot-separated part bare when it reads back as itself, quoted otherwise. A part that is a
/// keyword the grammar does not take as a parameter name (reserved, or a type or function
/// name keyword: `ALTER ROLE r RESET all` would reset every setting) is quoted too.
pub fn setting_name(param: &str) -> String {
    param
        .split('.')
        .map(|part| {
            if is_plain_identifier(part) && !NOT_A_COLUMN_NAME.contains(&part) {
                part.to_string()
            } else {
                ident(part)
            }
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// PostgreSQL's keywords that cannot be a column or parameter name unquoted (`ColId`): the
/// reserved keywords and the type or function name keywords (14 to 18).
const NOT_A_COLUMN_NAME: &[&str] = &[
    "all",
    "analyse",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "asymmetric",
    "authorization",
    "binary",
    "both",
    "case",
    "cast",
    "check",
    "collate",
    "collation",
    "column",
    "concurrently",
    "constraint",
    "create",
    "cross",
    "current_catalog",
    "current_date",
    "current_role",
    "current_schema",
    "current_time",
    "current_timestamp",
    "current_user",
    "default",
    "deferrable",
    "desc",
    "distinct",
    "do",
    "else",
    "end",
    "except",
    "false",
    "fetch",
    "for",
    "foreign",
    "freeze",
    "from",
    "full",
    "grant",
    "group",
    "having",
    "ilike",
    "in",
    "initially",
    "inner",
    "intersect",
    "into",
    "is",
    "isnull",
    "join",
    "lateral",
    "leading",
    "left",
    "like",
    "limit",
    "localtime",
    "localtimestamp",
    "natural",
    "not",
    "notnull",
    "null",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "outer",
    "overlaps",
    "placing",
    "primary",
    "references",
    "returning",
    "right",
    "select",
    "session_user",
    "similar",
    "some",
    "symmetric",
    "system_user",
    "table",
    "tablesample",
    "then",
    "to",
    "trailing",
    "true",
    "union",
    "unique",
    "user",
    "using",
    "variadic",
    "verbose",
    "when",
    "where",
    "window",
    "with",
];

/// The settings PostgreSQL marks `GUC_LIST_QUOTE` (as pg_dump lists them): each value of a list
/// is stored as a quoted identifier when it needs quotes.
const LIST_QUOTE: &[&str] = &[
    "local_preload_libraries",
    "oauth_validator_libraries",
    "search_path",
    "session_preload_libraries",
    "shared_preload_libraries",
    "temp_tablespaces",
    "unix_socket_directories",
];

fn is_list_quote(param: &str) -> bool {
    LIST_QUOTE.contains(&param.to_ascii_lowercase().as_str())
}

/// The values of a stored setting: `"$user", "My Schema", public` is `$user`, `My Schema` and
/// `public` for `search_path`; other settings are one value, as stored.
pub fn stored_values(param: &str, stored: &str) -> Vec<String> {
    if !is_list_quote(param) {
        return vec![stored.to_string()];
    }
    let mut values = Vec::new();
    let mut chars = stored.chars().peekable();
    loop {
        while chars.next_if(|c| *c == ' ').is_some() {}
        let mut value = String::new();
        if chars.next_if_eq(&'"').is_some() {
            while let Some(c) = chars.next() {
                match c {
                    '"' if chars.next_if_eq(&'"').is_some() => value.push('"'),
                    '"' => break,
                    c => value.push(c),
                }
            }
            // Anything up to the separator belongs to the value (the server never writes any).
            while let Some(c) = chars.next_if(|c| *c != ',') {
                value.push(c);
            }
        } else {
            while let Some(c) = chars.next_if(|c| *c != ',') {
                value.push(c);
            }
            value.truncate(value.trim_end().len());
        }
        values.push(value);
        if chars.next().is_none() {
            return values;
        }
    }
}

/// The text PostgreSQL stores for `SET param = 'v1', 'v2'` (keywords aside: the server quotes
/// those too, which [`stored_values`] reads back the same).
pub fn stored_form(param: &str, values: &[String]) -> String {
    let values = policy_values(values);
    if !is_list_quote(param) {
        return values.join(", ");
    }
    let quote = |v: &str| {
        if is_plain_identifier(v) {
            v.to_string()
        } else {
            format!("\"{}\"", v.replace('"', "\"\""))
        }
    };
    values.iter().map(|v| quote(v)).collect::<Vec<_>>().join(", ")
}

/// Whether the stored setting is what `SET param = values` stores: the same values, or for a
/// single value the same quantity in other units (`10min` and `600s`, `1GB` and `1024MB`).
pub fn same_setting(param: &str, values: &[String], stored: &str) -> bool {
    let values = policy_values(values);
    if is_list_quote(param) {
        return stored_values(param, stored) == values;
    }
    let joined = values.join(", ");
    joined == stored || (values.len() == 1 && quantity(&joined).is_some_and(|q| quantity(stored) == Some(q)))
}

/// The values rolec sets: none is one empty string (`SET x = ''`).
fn policy_values(values: &[String]) -> Vec<String> {
    if values.is_empty() {
        vec![String::new()]
    } else {
        values.to_vec()
    }
}

/// A number with a time or memory unit, in the unit's base (microseconds, bytes) and its kind.
/// A number without a unit is in the setting's own unit, which is not known here: `None`.
fn quantity(text: &str) -> Option<(i128, char)> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit() && c != '-')?;
    let (number, unit) = text.split_at(split);
    let n: i128 = number.parse().ok()?;
    let (factor, kind) = match unit.trim() {
        "us" => (1, 't'),
        "ms" => (1_000, 't'),
        "s" => (1_000_000, 't'),
        "min" => (60_000_000, 't'),
        "h" => (3_600_000_000, 't'),
        "d" => (86_400_000_000, 't'),
        "B" => (1, 'm'),
        "kB" => (1 << 10, 'm'),
        "MB" => (1 << 20, 'm'),
        "GB" => (1 << 30, 'm'),
        "TB" => (1 << 40, 'm'),
        _ => return None,
    };
    Some((n.checked_mul(factor)?, kind))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn setting_names_are_quoted_where_postgresql_needs_it() {
        assert_eq!(setting_name("work_mem"), "work_mem");
        assert_eq!(setting_name("myext.some_flag"), "myext.some_flag");
        assert_eq!(setting_name("MyExt.Flag"), r#""MyExt"."Flag""#);
        assert_eq!(setting_name("ext.1st"), r#"ext."1st""#);
        assert_eq!(setting_name("all"), r#""all""#);
        assert_eq!(setting_name("ext.select"), r#"ext."select""#);
        assert_eq!(setting_name("a..b"), r#"a."".b"#);
        // Unreserved and column name keywords are parameter names as they are.
        assert_eq!(setting_name("role"), "role");
        assert_eq!(setting_name("timezone"), "timezone");
    }

    #[test]
    fn quoted_lists_read_back_as_values() {
        assert_eq!(
            stored_values("search_path", r#""$user", "My Schema", public"#),
            strings(&["$user", "My Schema", "public"])
        );
        assert_eq!(stored_values("search_path", r#""a, ""b""", c"#), strings(&["a, \"b\"", "c"]));
        assert_eq!(stored_values("search_path", r#""""#), strings(&[""]));
        assert_eq!(stored_values("statement_timeout", "5min"), strings(&["5min"]));
        assert_eq!(stored_values("Search_Path", "app, public"), strings(&["app", "public"]));
    }

    #[test]
    fn stored_forms_read_back_the_same() {
        for values in [&["$user", "My Schema", "public"][..], &["a, \"b\"", "c"], &[""], &["app"]] {
            let values = strings(values);
            assert_eq!(stored_values("search_path", &stored_form("search_path", &values)), values);
            assert!(same_setting("search_path", &values, &stored_form("search_path", &values)));
        }
        assert_eq!(
            stored_form("search_path", &strings(&["$user", "My Schema", "public"])),
            r#""$user", "My Schema", public"#
        );
    }

    #[test]
    fn units_compare_as_quantities() {
        assert!(same_setting("statement_timeout", &strings(&["10min"]), "600s"));
        assert!(same_setting("work_mem", &strings(&["1GB"]), "1024MB"));
        assert!(!same_setting("statement_timeout", &strings(&["10min"]), "600"));
        assert!(!same_setting("statement_timeout", &strings(&["10min"]), "10MB"));
        assert!(!same_setting("application_name", &strings(&["a"]), "b"));
    }
}
