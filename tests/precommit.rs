//! The pre-commit hooks (`.pre-commit-hooks.yaml`) run by the real pre-commit, through
//! `pre-commit try-repo` against this checkout, in a throwaway git repository holding a policy
//! of two files with its `rolec.toml`.
//!
//! pre-commit is `ROLEC_PRECOMMIT` (a path) or `pre-commit` on PATH; `.ci/run` installs it.
//! Without it, the tests skip with one line. The `-system` hooks run the rolec built for the
//! tests (put first on PATH); the `language: rust` hooks build rolec with `cargo install`
//! (minutes), so their test runs only with `ROLEC_TEST_PRECOMMIT_BUILD=1`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The pre-commit program, or `None` (with the line saying the test skips).
fn precommit() -> Option<PathBuf> {
    let program = std::env::var_os("ROLEC_PRECOMMIT").map(PathBuf::from).unwrap_or_else(|| "pre-commit".into());
    match Command::new(&program).arg("--version").output() {
        Ok(out) if out.status.success() => Some(program),
        _ => {
            eprintln!(
                "skipped: pre-commit not found (set ROLEC_PRECOMMIT or put pre-commit on PATH; .ci/run installs it)"
            );
            None
        }
    }
}

/// A git repository with a policy of two files: `b.role` uses the role `a.role` declares.
struct Repo {
    dir: tempfile::TempDir,
    /// pre-commit's cache, apart from the user's.
    home: tempfile::TempDir,
}

const A: &str = "role reader {}\n";
const B: &str = "user alice { member of reader }\n";

impl Repo {
    fn new() -> Repo {
        let repo = Repo { dir: tempfile::tempdir().unwrap(), home: tempfile::tempdir().unwrap() };
        repo.git(&["init", "--quiet"]);
        repo.write("rolec.toml", "");
        repo.write("a.role", A);
        repo.write("b.role", "user alice {}\n");
        repo.git(&["add", "."]);
        repo.git(&["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "--quiet", "-m", "policy"]);
        repo
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn write(&self, name: &str, text: &str) {
        std::fs::write(self.path().join(name), text).unwrap();
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path().join(name)).unwrap()
    }

    fn git(&self, args: &[&str]) {
        let out = Command::new("git").args(args).current_dir(self.path()).output().unwrap();
        assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }

    /// `pre-commit try-repo CHECKOUT HOOK ARGS…`; for a `-system` hook, the tests' rolec is
    /// first on PATH.
    fn try_hook(&self, precommit: &Path, hook: &str, args: &[&str]) -> Output {
        let checkout = env!("CARGO_MANIFEST_DIR");
        let bin_dir = Path::new(env!("CARGO_BIN_EXE_rolec")).parent().unwrap().to_path_buf();
        let system = hook.ends_with("-system").then_some(bin_dir);
        let inherited = std::env::var_os("PATH").unwrap_or_default();
        let path = std::env::join_paths(system.into_iter().chain(std::env::split_paths(&inherited))).unwrap();
        Command::new(precommit)
            .args(["try-repo", checkout, hook])
            .args(args)
            .current_dir(self.path())
            .env("PATH", path)
            .env("PRE_COMMIT_HOME", self.home.path())
            .env("NO_COLOR", "1")
            .output()
            .unwrap()
    }
}

fn shown(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

#[test]
fn lint_hook_lints_the_project_of_a_changed_file() {
    let Some(precommit) = precommit() else { return };
    let repo = Repo::new();
    // Only b.role changes; it uses a role of a.role, which the project brings in.
    repo.write("b.role", B);
    let out = repo.try_hook(&precommit, "rolec-lint-system", &["--files", "b.role"]);
    assert!(out.status.success(), "{}", shown(&out));
    let out = repo.try_hook(&precommit, "rolec-lint-system", &["--all-files"]);
    assert!(out.status.success(), "{}", shown(&out));
    // An edit that breaks the policy fails the hook with the diagnostic.
    repo.write("b.role", "user alice { member of writer }\n");
    let out = repo.try_hook(&precommit, "rolec-lint-system", &["--files", "b.role"]);
    assert!(!out.status.success(), "{}", shown(&out));
    assert!(shown(&out).contains("E002") && shown(&out).contains("b.role:1:"), "{}", shown(&out));
    // Without the project file, b.role alone names an unknown role.
    repo.write("b.role", B);
    std::fs::remove_file(repo.path().join("rolec.toml")).unwrap();
    let out = repo.try_hook(&precommit, "rolec-lint-system", &["--files", "b.role"]);
    assert!(!out.status.success() && shown(&out).contains("E002"), "{}", shown(&out));
}

#[test]
fn fmt_hook_rewrites_files_and_fails_until_they_are_formatted() {
    let Some(precommit) = precommit() else { return };
    let repo = Repo::new();
    let messy = "user   alice {\nmember of reader }\n";
    repo.write("b.role", messy);
    let out = repo.try_hook(&precommit, "rolec-fmt-system", &["--files", "b.role"]);
    assert!(!out.status.success(), "{}", shown(&out));
    assert!(shown(&out).contains("files were modified by this hook"), "{}", shown(&out));
    assert_eq!(repo.read("b.role"), rolec::format::format(messy));
    assert_ne!(repo.read("b.role"), messy);
    assert_eq!(repo.read("a.role"), A);
    let out = repo.try_hook(&precommit, "rolec-fmt-system", &["--files", "b.role"]);
    assert!(out.status.success(), "{}", shown(&out));
}

/// The `language: rust` hook: pre-commit builds rolec from this checkout with `cargo install`.
#[test]
fn rust_hook_builds_rolec_and_lints() {
    if std::env::var_os("ROLEC_TEST_PRECOMMIT_BUILD").is_none() {
        eprintln!("skipped: set ROLEC_TEST_PRECOMMIT_BUILD=1 to build rolec through pre-commit (minutes)");
        return;
    }
    let Some(precommit) = precommit() else { return };
    let repo = Repo::new();
    repo.write("b.role", B);
    // One run: each try-repo builds rolec again in a store of its own.
    let out = repo.try_hook(&precommit, "rolec-lint", &["--files", "b.role"]);
    assert!(out.status.success() && shown(&out).contains("Passed"), "{}", shown(&out));
}
