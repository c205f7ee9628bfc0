//! Values of the language (`let`, template arguments, loop variables) and their scopes.

use std::collections::HashMap;
use std::rc::Rc;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

use crate::syntax::ast::{ParamType, ValueKind};

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Val {
    Str(String),
    Int(i64),
    /// As written: `5min`.
    Duration(String),
    /// As written: `2024-01-01`.
    Timestamp(String),
    List(Vec<Val>),
}

impl Val {
    pub fn type_name(&self) -> &'static str {
        match self {
            Val::Str(_) => "string",
            Val::Int(_) => "int",
            Val::Duration(_) => "duration",
            Val::Timestamp(_) => "timestamp",
            Val::List(_) => "list",
        }
    }

    /// The text a scalar stands for in a name or a string; `None` for lists.
    pub fn as_text(&self) -> Option<String> {
        match self {
            Val::Str(s) | Val::Duration(s) | Val::Timestamp(s) => Some(s.clone()),
            Val::Int(i) => Some(i.to_string()),
            Val::List(_) => None,
        }
    }

    /// Whether a value can be passed for a parameter of type `ty`.
    pub fn fits(&self, ty: ParamType) -> bool {
        match ty {
            ParamType::Role | ParamType::Schema => matches!(self, Val::Str(_)),
            ParamType::String => matches!(self, Val::Str(_) | Val::Int(_)),
            ParamType::Int => matches!(self, Val::Int(_)),
            ParamType::Duration => matches!(self, Val::Duration(_)),
            ParamType::List => matches!(self, Val::List(_)),
        }
    }

    /// Parses a `--set NAME=VALUE` text in the shape of the value it overrides.
    pub fn parse_override(text: &str, like: &Val) -> Result<Val, OverrideError> {
        match like {
            Val::List(_) => Ok(Val::List(
                text.split(',').map(str::trim).filter(|s| !s.is_empty()).map(|s| Val::Str(s.to_string())).collect(),
            )),
            Val::Int(_) => text.trim().parse().map(Val::Int).map_err(|_| OverrideError::NotInteger(text.to_string())),
            Val::Duration(_) => {
                if parse_duration(text).is_some() {
                    Ok(Val::Duration(text.to_string()))
                } else {
                    Err(OverrideError::NotDuration(text.to_string()))
                }
            }
            Val::Timestamp(_) => parse_timestamp(text)
                .map(|_| Val::Timestamp(text.to_string()))
                .ok_or_else(|| OverrideError::NotTimestamp(text.to_string())),
            Val::Str(_) => Ok(Val::Str(text.to_string())),
        }
    }
}

/// Why a `--set NAME=VALUE` text does not fit the value it overrides; each holds the text.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OverrideError {
    #[error("`{0}` is not an integer")]
    NotInteger(String),
    #[error("`{0}` is not a duration such as `5min` or `4h`")]
    NotDuration(String),
    #[error("`{0}` is not a date or timestamp")]
    NotTimestamp(String),
}

/// Variables in scope: global `let`s, then template parameters and loop variables.
#[derive(Clone, Debug, Default)]
pub struct Env {
    vars: Rc<HashMap<String, Val>>,
}

impl Env {
    pub fn get(&self, name: &str) -> Option<&Val> {
        self.vars.get(name)
    }

    pub fn with(&self, name: &str, value: Val) -> Env {
        let mut vars = (*self.vars).clone();
        vars.insert(name.to_string(), value);
        Env { vars: Rc::new(vars) }
    }

    pub fn with_all(&self, bindings: impl IntoIterator<Item = (String, Val)>) -> Env {
        let mut vars = (*self.vars).clone();
        vars.extend(bindings);
        Env { vars: Rc::new(vars) }
    }
}

/// Seconds of a duration such as `5min`, `4h`, `2d`, `1w`, `300ms` (rounded down).
pub fn parse_duration(text: &str) -> Option<i64> {
    let digits_end = text.find(|c: char| !c.is_ascii_digit())?;
    let n: i64 = text[..digits_end].parse().ok()?;
    let unit = match &text[digits_end..] {
        "ms" => return Some(n / 1000),
        "s" => 1,
        "min" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 604_800,
        _ => return None,
    };
    n.checked_mul(unit)
}

/// A date (midnight UTC) or an RFC 3339 timestamp; a timestamp without zone is UTC.
pub fn parse_timestamp(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, fmt) {
            return Some(t.and_utc());
        }
    }
    for fmt in ["%Y-%m-%d%:z", "%Y-%m-%dT%H:%M%:z", "%Y-%m-%d %H:%M%:z", "%Y-%m-%dT%H:%M:%S%:z"] {
        if let Ok(t) = DateTime::parse_from_str(text, fmt) {
            return Some(t.with_timezone(&Utc));
        }
    }
    if let Some(date) =
        text.strip_suffix('Z').or(Some(text)).and_then(|t| NaiveDate::parse_from_str(t, "%Y-%m-%d").ok())
    {
        return date.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
    }
    None
}

pub fn literal_kind(kind: &ValueKind) -> &'static str {
    match kind {
        ValueKind::Str(_) => "string",
        ValueKind::Int(_) => "int",
        ValueKind::Duration(_) => "duration",
        ValueKind::Timestamp(_) => "timestamp",
        ValueKind::List(_) => "list",
        ValueKind::Word(_) => "name",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("5min"), Some(300));
        assert_eq!(parse_duration("4h"), Some(14_400));
        assert_eq!(parse_duration("1w"), Some(604_800));
        assert_eq!(parse_duration("4x"), None);
        assert_eq!(parse_duration("99999999999999999999h"), None);
    }

    #[test]
    fn timestamps() {
        let t = parse_timestamp("2024-01-01").unwrap();
        assert_eq!(t.to_rfc3339(), "2024-01-01T00:00:00+00:00");
        assert!(parse_timestamp("2024-01-01T10:00:00Z").is_some());
        assert!(parse_timestamp("2024-01-01T10:00:00+02:00").is_some());
        assert!(parse_timestamp("2024-01-01 10:00").is_some());
        assert!(parse_timestamp("2024-13-01").is_none());
    }

    #[test]
    fn overrides_take_the_shape_of_the_value() {
        assert_eq!(Val::parse_override("7", &Val::Int(1)), Ok(Val::Int(7)));
        assert_eq!(Val::parse_override("seven", &Val::Int(1)).unwrap_err().to_string(), "`seven` is not an integer");
        assert_eq!(
            Val::parse_override("soon", &Val::Duration("5min".into())).unwrap_err().to_string(),
            "`soon` is not a duration such as `5min` or `4h`"
        );
        assert_eq!(
            Val::parse_override("later", &Val::Timestamp("2024-01-01".into())).unwrap_err().to_string(),
            "`later` is not a date or timestamp"
        );
    }
}
