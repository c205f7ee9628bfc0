//! W041 window closing soon: an active membership whose `until` is at most 14 days after
//! `--at`. Relative windows (`for 4h` without `from`) start at `--at` and are not reported.

use crate::diagnostics::{Code, Diagnostic};

/// How close to `--at` the end of a membership window must be for W041.
pub const CLOSING_SOON_SECONDS: i64 = 14 * 24 * 3600;

pub fn closing_windows(memberships: &[std::sync::Arc<crate::model::Membership>], at: i64, out: &mut Vec<Diagnostic>) {
    for m in memberships {
        let Some(until) = m.until else { continue };
        if !m.active || until <= at || until - at > CLOSING_SOON_SECONDS || m.from == Some(at) {
            continue;
        }
        let days = (until - at) / 86_400;
        let when = match days {
            0 => "in less than a day".to_string(),
            1 => "in 1 day".to_string(),
            n => format!("in {n} days"),
        };
        out.push(
            Diagnostic::new(
                Code::WindowClosingSoon,
                m.origin,
                format!("membership of `{}` in `{}` closes at {} ({when})", m.member, m.role, fmt_time(until)),
            )
            .label("window closes soon")
            .help("extend the window, or remove the membership once it has closed"),
        );
    }
}

fn fmt_time(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0).map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()).unwrap_or_default()
}
