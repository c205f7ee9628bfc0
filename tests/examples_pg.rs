//! Every bundled example (`examples/<name>/`), end to end on a real PostgreSQL server.
//!
//! Per example, on its own throwaway cluster:
//!
//! 1. plain build (options from `build.args`; unless given there, `--at` 2026-06-01 and
//!    `--target-version` = the server's major version; an example whose build.args targets a
//!    newer server than the one running is skipped, and listed as skipped):
//!    `setup.sql` → snapshot A → `up.sql` → snapshot U → `after.sql` → every line of
//!    `checks.sql` true → `cleanup.sql` → `down.sql` → snapshot equals A;
//! 2. the same policy built with `--idempotent`: `up.sql` → snapshot equals U (the idempotent
//!    script converges to the same catalog) → `up.sql` again → unchanged → `after.sql` →
//!    checks again → `cleanup.sql` → `down.sql` → equals A → `down.sql` again → still A.
//!
//! The scripts are written to `$CARGO_TARGET_TMPDIR/examples_pg/<name>/` for inspection.
//! Examples run in parallel (one cluster each); every failure of every example is reported.

mod support;

use std::path::{Path, PathBuf};
use std::time::Instant;

use support::build::{check_lines, compile, examples, expiry_normalized, Built, Example};
use support::pg::{error_text, CatalogSnapshot, PgCluster};

const DB: &str = "postgres";

fn examples_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

fn script_dir(example: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("examples_pg").join(example);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    dir
}

/// Runs a script; the error names the step and where the script was saved.
fn run(pg: &PgCluster, step: &str, sql: &str, saved: &Path) -> Result<(), String> {
    pg.exec(DB, sql).map_err(|e| format!("{step} failed: {e}\n  (script: {})", saved.display()))
}

/// Compares snapshots; `VALID UNTIL 'infinity'` and no expiry count as equal (see
/// `expiry_normalized`).
fn same(a: &CatalogSnapshot, b: &CatalogSnapshot, what: &str) -> Result<(), String> {
    let (a, b) = (&expiry_normalized(a), &expiry_normalized(b));
    if a == b {
        Ok(())
    } else {
        Err(format!("{what}: catalog snapshots differ (- expected, + actual):\n{}", a.diff(b)))
    }
}

/// Every line of checks.sql; returns the failing ones (line number, text, what it returned).
fn failing_checks(pg: &PgCluster, checks: &[(usize, String)]) -> Vec<String> {
    let mut client = pg.client(DB);
    let mut failures = Vec::new();
    for (line, sql) in checks {
        let got = match client.simple_query(sql) {
            Err(e) => format!("error {}", error_text(&e)),
            Ok(messages) => {
                let rows: Vec<Vec<Option<String>>> = messages
                    .into_iter()
                    .filter_map(|m| match m {
                        postgres::SimpleQueryMessage::Row(r) => {
                            Some((0..r.len()).map(|i| r.get(i).map(str::to_owned)).collect())
                        }
                        _ => None,
                    })
                    .collect();
                match rows.as_slice() {
                    [row] if row.len() == 1 && row[0].as_deref() == Some("t") => continue,
                    [row] if row.len() == 1 => format!("{:?}", row[0]),
                    _ => format!("{rows:?} (expected one boolean)"),
                }
            }
        };
        failures.push(format!("checks.sql:{line}: {sql}\n      returned {got}"));
    }
    failures
}

struct Scripts {
    plain: Built,
    idempotent: Built,
    dir: PathBuf,
}

/// Builds for `--target-version` from build.args, else for the server's major version.
fn build_example(ex: &Example, server_major: u32) -> Result<Scripts, String> {
    let mut args = ex.build_args()?;
    if !args.target_given {
        args.options.target_version = server_major;
    }
    let env = args.env_pairs();
    let sources = || rolec::db::Sources::Paths(vec![ex.dir.clone()]);
    let plain = compile(sources(), args.options.clone(), &env).map_err(|f| format!("build failed: {f}"))?;
    let mut idem_options = args.options.clone();
    idem_options.idempotent = true;
    let idempotent = compile(sources(), idem_options, &env).map_err(|f| format!("--idempotent build failed: {f}"))?;
    let dir = script_dir(&ex.name);
    for (name, text) in [
        ("up.sql", &plain.up),
        ("down.sql", &plain.down),
        ("up.idempotent.sql", &idempotent.up),
        ("down.idempotent.sql", &idempotent.down),
    ] {
        std::fs::write(dir.join(name), text).map_err(|e| format!("{name}: {e}"))?;
    }
    Ok(Scripts { plain, idempotent, dir })
}

/// One example end to end; returns a one-line summary.
fn run_example(ex: &Example) -> Result<String, String> {
    let started = Instant::now();
    let checks_text = ex.file("checks.sql").ok_or("has no checks.sql (every example needs checks)")?;
    let checks = check_lines(&checks_text);
    if checks.is_empty() {
        return Err("checks.sql holds no check".into());
    }
    let setup = ex.file("setup.sql").unwrap_or_default();
    let after = ex.file("after.sql");
    let cleanup = ex.file("cleanup.sql");
    let pg = PgCluster::start();
    let args = ex.build_args()?;
    if args.target_given && args.options.target_version > pg.major() {
        return Ok(format!(
            "SKIPPED: build.args targets PostgreSQL {}, the server is {}",
            args.options.target_version,
            pg.major()
        ));
    }
    let s = build_example(ex, pg.major())?;
    let (up, down) = (s.dir.join("up.sql"), s.dir.join("down.sql"));
    let (iup, idown) = (s.dir.join("up.idempotent.sql"), s.dir.join("down.idempotent.sql"));
    let setup_path = ex.dir.join("setup.sql");

    run(&pg, "setup.sql", &setup, &setup_path)?;
    let a = pg.snapshot(DB);

    // 1. The plain build.
    run(&pg, "up.sql", &s.plain.up, &up)?;
    let u = pg.snapshot(DB);
    if let Some(sql) = &after {
        run(&pg, "after.sql", sql, &ex.dir.join("after.sql"))?;
    }
    let failures = failing_checks(&pg, &checks);
    if !failures.is_empty() {
        return Err(format!(
            "{} of {} checks failed after up.sql ({}):\n  {}",
            failures.len(),
            checks.len(),
            up.display(),
            failures.join("\n  ")
        ));
    }
    if let Some(sql) = &cleanup {
        run(&pg, "cleanup.sql", sql, &ex.dir.join("cleanup.sql"))?;
    }
    run(&pg, "down.sql", &s.plain.down, &down)?;
    same(&a, &pg.snapshot(DB), "down.sql did not restore the catalog")?;

    // 2. The --idempotent build, run twice.
    run(&pg, "idempotent up.sql (1st run)", &s.idempotent.up, &iup)?;
    same(&u, &pg.snapshot(DB), "the --idempotent up.sql reached another catalog than the plain up.sql")?;
    run(&pg, "idempotent up.sql (2nd run)", &s.idempotent.up, &iup)?;
    same(&u, &pg.snapshot(DB), "running the --idempotent up.sql a second time changed the catalog")?;
    if let Some(sql) = &after {
        run(&pg, "after.sql", sql, &ex.dir.join("after.sql"))?;
    }
    let failures = failing_checks(&pg, &checks);
    if !failures.is_empty() {
        return Err(format!(
            "{} checks failed after the --idempotent up.sql ran twice ({}):\n  {}",
            failures.len(),
            iup.display(),
            failures.join("\n  ")
        ));
    }
    if let Some(sql) = &cleanup {
        run(&pg, "cleanup.sql", sql, &ex.dir.join("cleanup.sql"))?;
    }
    run(&pg, "idempotent down.sql (1st run)", &s.idempotent.down, &idown)?;
    same(&a, &pg.snapshot(DB), "the --idempotent down.sql did not restore the catalog")?;
    run(&pg, "idempotent down.sql (2nd run)", &s.idempotent.down, &idown)?;
    same(&a, &pg.snapshot(DB), "running the --idempotent down.sql a second time changed the catalog")?;

    Ok(format!("{} checks, {} warning(s), {:.2?}", checks.len(), s.plain.diagnostics.len(), started.elapsed()))
}

#[test]
fn every_example_applies_passes_its_checks_and_rolls_back() {
    let root = examples_root();
    let all = examples(&root);
    assert!(
        !all.is_empty(),
        "no examples found under {} (a directory with *.role files): the test would pass vacuously",
        root.display()
    );
    let started = Instant::now();
    let results: Vec<(String, Result<String, String>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = all.iter().map(|ex| (ex.name.clone(), scope.spawn(|| run_example(ex)))).collect();
        handles
            .into_iter()
            .map(|(name, h)| {
                let r = h.join().unwrap_or_else(|p| {
                    Err(format!(
                        "panicked: {}",
                        p.downcast_ref::<String>()
                            .cloned()
                            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                            .unwrap_or_default()
                    ))
                });
                (name, r)
            })
            .collect()
    });
    let mut report = format!("{} example(s) under {} in {:.2?}:\n", results.len(), root.display(), started.elapsed());
    for (name, r) in &results {
        match r {
            Ok(summary) => report += &format!("  ok    {name}: {summary}\n"),
            Err(_) => report += &format!("  FAIL  {name}\n"),
        }
    }
    // Shown with `--nocapture` (and always when the test fails).
    println!("{report}");
    let failed: Vec<String> =
        results.iter().filter_map(|(name, r)| r.as_ref().err().map(|e| format!("example `{name}`: {e}"))).collect();
    if !failed.is_empty() {
        panic!("{report}\n{}", failed.join("\n\n"));
    }
}

/// build.args parsing, so that an example's options are not silently dropped.
#[test]
fn build_args_are_translated_to_options() {
    let args = support::build::parse_build_args(
        "--set\nanonymous=web_anon\n--set=x=a,b\n--target-version\n16\n--at\n2024-06-01\n\
         --idempotent\n\nenv:PW=se=cret\n",
    )
    .unwrap();
    assert_eq!(
        args.options.sets,
        vec![("anonymous".to_string(), "web_anon".to_string()), ("x".to_string(), "a,b".to_string())]
    );
    assert_eq!(args.options.target_version, 16);
    assert_eq!(args.options.at, support::build::timestamp("2024-06-01"));
    assert!(args.at_given && args.options.idempotent && !args.options.lock);
    assert_eq!(args.env, vec![("PW".to_string(), "se=cret".to_string())]);
    let default = support::build::parse_build_args("").unwrap();
    assert_eq!(default.options.at, support::build::timestamp(support::build::DEFAULT_AT));
    assert!(support::build::parse_build_args("--frobnicate").is_err());
    assert!(support::build::parse_build_args("--set").is_err());
}
