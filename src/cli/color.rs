//! `--color auto|always|never`: the one decision of whether the command line colours what it
//! prints. Under `auto`, `NO_COLOR` (any non-empty value) turns colour off and `CLICOLOR_FORCE`
//! (non-empty, not `0`) turns it on even when the output is not a terminal; `NO_COLOR` wins,
//! as it does for clap's own help. An explicit `always` or `never` overrides both.

use std::ffi::OsString;
use std::io::IsTerminal;
use std::sync::OnceLock;

use clap::ValueEnum;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorWhen {
    Auto,
    Always,
    Never,
}

static CHOICE: OnceLock<ColorWhen> = OnceLock::new();

/// Records the choice of `--color` for the rest of the run.
pub fn set(when: ColorWhen) {
    let _ = CHOICE.set(when);
}

/// Whether what goes to standard error (the diagnostics) is coloured.
pub fn stderr() -> bool {
    decide(*CHOICE.get().unwrap_or(&ColorWhen::Auto), &env, std::io::stderr().is_terminal())
}

/// The decision: `env` reads an environment variable, `terminal` is whether the stream is one.
pub fn decide(when: ColorWhen, env: &dyn Fn(&str) -> Option<OsString>, terminal: bool) -> bool {
    match when {
        ColorWhen::Always => true,
        ColorWhen::Never => false,
        ColorWhen::Auto => {
            if env("NO_COLOR").is_some_and(|v| !v.is_empty()) {
                false
            } else if env("CLICOLOR_FORCE").is_some_and(|v| !v.is_empty() && v != "0") {
                true
            } else {
                terminal
            }
        }
    }
}

fn env(name: &str) -> Option<OsString> {
    std::env::var_os(name)
}

/// The last `--color WHEN` or `--color=WHEN` of the arguments (before a `--`), for clap's own
/// help and errors, which are printed while the arguments are parsed. An unknown value is
/// left for clap to report.
pub fn from_args(args: impl IntoIterator<Item = OsString>) -> ColorWhen {
    let mut when = ColorWhen::Auto;
    let mut args = args.into_iter().skip(1);
    while let Some(arg) = args.next() {
        let value = match arg.to_str() {
            Some("--") => break,
            Some("--color") => args.next(),
            Some(a) => a.strip_prefix("--color=").map(OsString::from),
            None => None,
        };
        if let Some(w) = value.and_then(|v| v.to_str().and_then(|v| ColorWhen::from_str(v, false).ok())) {
            when = w;
        }
    }
    when
}

/// clap's colour for its help and errors: the same decision, made for standard output (help)
/// by clap itself under `auto` without the variables that force it.
pub fn clap_choice(when: ColorWhen) -> clap::ColorChoice {
    let forced = |terminal| decide(when, &env, terminal);
    match (forced(false), forced(true)) {
        (true, _) => clap::ColorChoice::Always,
        (false, false) => clap::ColorChoice::Never,
        (false, true) => clap::ColorChoice::Auto,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<OsString> + 'a {
        move |name| vars.iter().find(|(n, _)| *n == name).map(|(_, v)| OsString::from(v))
    }

    #[test]
    fn auto_follows_the_terminal_and_the_variables() {
        let auto = ColorWhen::Auto;
        assert!(decide(auto, &with(&[]), true));
        assert!(!decide(auto, &with(&[]), false));
        assert!(!decide(auto, &with(&[("NO_COLOR", "1")]), true));
        assert!(decide(auto, &with(&[("NO_COLOR", "")]), true), "an empty NO_COLOR is unset");
        assert!(decide(auto, &with(&[("CLICOLOR_FORCE", "1")]), false));
        assert!(!decide(auto, &with(&[("CLICOLOR_FORCE", "0")]), false));
        assert!(!decide(auto, &with(&[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]), true));
    }

    #[test]
    fn an_explicit_choice_overrides_the_variables() {
        assert!(decide(ColorWhen::Always, &with(&[("NO_COLOR", "1")]), false));
        assert!(!decide(ColorWhen::Never, &with(&[("CLICOLOR_FORCE", "1")]), true));
    }

    #[test]
    fn the_last_color_argument_counts() {
        let args = |a: &[&str]| from_args(a.iter().map(OsString::from));
        assert_eq!(args(&["rolec", "lint", "--color", "never", "p"]), ColorWhen::Never);
        assert_eq!(args(&["rolec", "--color=always", "lint", "--color=never"]), ColorWhen::Never);
        assert_eq!(args(&["rolec", "lint", "--", "--color=never"]), ColorWhen::Auto);
        assert_eq!(args(&["rolec", "--color=sometimes"]), ColorWhen::Auto);
    }
}
