//! Time windows of memberships against a live server.
//!
//! An absolute window (`from … until …`) is the policy's own, evaluated at `--at`. A relative
//! one (`for 4h` without `from`) starts when an apply first grants the membership: the apply
//! records the start in `rolec.windows` ([`LiveWindow`]), and every later plan, check and
//! apply ends it at that start plus the policy's duration, whatever their `--at` — so a window
//! ends even though each run's `--at` moves. Until an apply has started it, a relative window
//! is read as starting at `--at` (what the next apply would record).
//!
//! A record belongs to the request that made it: a changed duration moves the end of the
//! window that runs (start + the new duration); a changed reason is a new request, whose
//! window starts at the next apply; and when the policy no longer has a relative window for
//! the membership, the apply forgets the record, so that asking again later starts a new
//! window. Until then an ended window stays ended: the membership is not granted again.

use crate::live::state::LiveWindow;
use crate::model::Membership;

/// The window (and reason) of one policy membership as the live commands read it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Window {
    /// Its start: `from`, or the recorded start of a relative window (`--at` before any apply).
    pub from: Option<i64>,
    pub until: Option<i64>,
    /// A relative window's duration (seconds).
    pub duration: Option<i64>,
    /// A relative window no apply has started yet.
    pub pending: bool,
    /// Whether it is open at `--at`.
    pub open: bool,
    /// Whether it has ended at `--at` (known for relative windows and those with only `until`).
    pub ended: bool,
    pub reason: Option<String>,
}

impl Window {
    /// The window in words (`for 4h from … until …`, `from … until …`), and the reason.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        match (self.duration, self.pending) {
            (Some(d), true) => parts.push(format!("for {} from the apply that grants it", duration_text(d))),
            (Some(d), false) => parts.push(format!("for {}", duration_text(d))),
            _ => {}
        }
        if !self.pending {
            if let Some(f) = self.from {
                parts.push(format!("from {}", time_text(f)));
            }
            if let Some(u) = self.until {
                parts.push(format!("until {}", time_text(u)));
            }
        }
        let mut text = parts.join(" ");
        if let Some(r) = &self.reason {
            text.push_str(&format!("{}reason: {r}", if text.is_empty() { "" } else { "; " }));
        }
        text
    }

    /// Whether it bounds the membership in time (a membership may have only a reason).
    pub fn bounded(&self) -> bool {
        self.from.is_some() || self.until.is_some()
    }

    /// Why a membership outside its window is not granted.
    pub fn closed_text(&self) -> String {
        if self.ended {
            format!("its window ({}) has ended", self.describe())
        } else {
            format!("it is outside its window ({})", self.describe())
        }
    }
}

/// The window of `m`, with the records of the relative windows applies started; `None` for
/// a membership without window or reason.
pub(crate) fn evaluate(m: &Membership, records: &[LiveWindow]) -> Option<Window> {
    let Some(duration) = m.duration else {
        if m.from.is_none() && m.until.is_none() && m.reason.is_none() {
            return None;
        }
        return Some(Window {
            from: m.from,
            until: m.until,
            duration: None,
            pending: false,
            open: m.active,
            ended: !m.active && m.from.is_none(),
            reason: m.reason.clone(),
        });
    };
    // Offline a relative window starts at `--at`: `from` holds it.
    let at = m.from.unwrap_or_default();
    let window = match recorded(m, records) {
        Some(r) => {
            let until = r.started_at.saturating_add(duration);
            Window {
                from: Some(r.started_at),
                until: Some(until),
                duration: Some(duration),
                pending: false,
                open: r.started_at <= at && at < until,
                ended: until <= at,
                reason: m.reason.clone(),
            }
        }
        None => Window {
            from: Some(at),
            until: Some(at.saturating_add(duration)),
            duration: Some(duration),
            pending: true,
            open: true,
            ended: false,
            reason: m.reason.clone(),
        },
    };
    Some(window)
}

/// The record of `m`'s relative window: same role, member and reason.
fn recorded<'a>(m: &Membership, records: &'a [LiveWindow]) -> Option<&'a LiveWindow> {
    records.iter().find(|r| r.role == m.role && r.member == m.member && r.reason == m.reason)
}

/// What an apply writes to `rolec.windows`, and the windows of the membership statements it
/// runs (for the ledger).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct WindowBook {
    /// Windows to record: started by this apply, or whose duration the policy changed.
    pub record: Vec<LiveWindow>,
    /// (role, member) of records the policy no longer asks for.
    pub forget: Vec<(String, String)>,
    /// Each membership statement of the plan whose membership has a window or a reason.
    pub applied: Vec<(String, Window)>,
}

impl WindowBook {
    pub fn is_empty(&self) -> bool {
        self.record.is_empty() && self.forget.is_empty()
    }

    /// The ledger's `windows` column: one object per statement in [`WindowBook::applied`].
    pub fn ledger_json(&self) -> String {
        let time = |t: Option<i64>| t.map(time_text);
        let items: Vec<serde_json::Value> = self
            .applied
            .iter()
            .map(|(sql, w)| {
                serde_json::json!({
                    "statement": sql,
                    "reason": w.reason,
                    "from": time(w.from),
                    "until": time(w.until),
                    "duration": w.duration.map(duration_text),
                })
            })
            .collect();
        serde_json::Value::Array(items).to_string()
    }
}

/// The records an apply writes: for each open relative window of a membership in scope
/// (`timed`: the policy's memberships in scope with a window), a record when none matches yet
/// or the duration changed; and the records of members in scope that the policy no longer has
/// a relative window for.
pub(crate) fn book(
    timed: &[(&Membership, Window)],
    records: &[LiveWindow],
    in_scope: &dyn Fn(&str) -> bool,
) -> WindowBook {
    let mut book = WindowBook::default();
    for (m, w) in timed.iter().filter(|(_, w)| w.open) {
        let (Some(duration), Some(from), Some(until)) = (w.duration, w.from, w.until) else { continue };
        let same = recorded(m, records).is_some_and(|r| r.duration == duration);
        if w.pending || !same {
            book.record.push(LiveWindow {
                role: m.role.clone(),
                member: m.member.clone(),
                started_at: from,
                ends_at: until,
                duration,
                reason: m.reason.clone(),
            });
        }
    }
    for r in records.iter().filter(|r| in_scope(&r.member)) {
        let asked = timed.iter().any(|(m, w)| w.duration.is_some() && m.role == r.role && m.member == r.member);
        if !asked {
            book.forget.push((r.role.clone(), r.member.clone()));
        }
    }
    book
}

/// `4h`, `90m`, `2d`, `45s`: a duration as the language writes it.
pub fn duration_text(seconds: i64) -> String {
    match seconds {
        s if s != 0 && s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s != 0 && s % 3_600 == 0 => format!("{}h", s / 3_600),
        s if s != 0 && s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

/// An instant in RFC 3339 (UTC).
pub fn time_text(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0).map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string()).unwrap_or_default()
}
