//! The commands against hostile files and directories: symbolic link loops, a link to `/`,
//! FIFOs, `/dev/zero`, files over the size limits, imports of files that are not policies,
//! and passwords beside syntax errors. Every run has a deadline, so a hang fails the test.

use std::os::unix::fs::FileTypeExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const DEADLINE: Duration = Duration::from_secs(30);

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    /// Both streams, for assertions on what is printed anywhere.
    fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

/// Runs `rolec ARGS` in `dir`; kills it and fails if it has not ended by the deadline.
fn rolec(dir: &Path, args: &[&str]) -> Run {
    let out = tempfile::tempdir().unwrap();
    let (stdout, stderr) = (out.path().join("stdout"), out.path().join("stderr"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_rolec"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&stdout).unwrap())
        .stderr(std::fs::File::create(&stderr).unwrap())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > DEADLINE {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("`rolec {}` did not end within {DEADLINE:?}", args.join(" "));
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let read = |p: &Path| String::from_utf8_lossy(&std::fs::read(p).unwrap()).into_owned();
    Run { code: status.code(), stdout: read(&stdout), stderr: read(&stderr) }
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
}

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(status.success(), "mkfifo failed");
}

// ------------------------------------------------------------------- directory walks (hangs)

#[test]
fn symlink_loops_are_walked_once() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy");
    std::fs::create_dir_all(policy.join("sub")).unwrap();
    write(&policy.join("sub/a.role"), "role a {}\nuser u { member of a }\n");
    // Each link doubles the paths below the directory: 2^40 without loop detection.
    std::os::unix::fs::symlink(".", policy.join("x")).unwrap();
    std::os::unix::fs::symlink(".", policy.join("y")).unwrap();
    std::os::unix::fs::symlink("..", policy.join("sub/up")).unwrap();
    let run = rolec(dir.path(), &["lint", "policy"]);
    assert_eq!(run.code, Some(0), "{}", run.all());
    assert!(run.stderr.contains("0 error(s), 0 warning(s)"), "{}", run.all());
}

#[test]
fn a_link_to_the_root_directory_is_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    write(&dir.path().join("a.role"), "role a {}\nuser u { member of a }\n");
    std::os::unix::fs::symlink("/", dir.path().join("everything")).unwrap();
    let run = rolec(dir.path(), &["lint", "."]);
    assert_eq!(run.code, Some(0), "{}", run.all());
    assert!(
        run.stderr.contains("warning: skipped `./everything`: a symbolic link to a directory outside `.`"),
        "{}",
        run.all()
    );
}

#[test]
fn a_link_to_a_directory_inside_is_followed() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("real")).unwrap();
    write(&dir.path().join("real/a.role"), "role a {}\nrole unused {}\n");
    // Sorted before `real`: still, the file is found once, by its real path.
    std::os::unix::fs::symlink("real", dir.path().join("alias")).unwrap();
    std::os::unix::fs::symlink("real", dir.path().join("zalias")).unwrap();
    write(&dir.path().join("u.role"), "user u { member of a }\n");
    let run = rolec(dir.path(), &["lint", "--format", "json", "."]);
    assert_eq!(run.code, Some(0), "{}", run.all());
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let json = &json["diagnostics"];
    assert_eq!(json.as_array().unwrap().len(), 1, "{}", run.all());
    assert_eq!(json[0]["code"], "W040");
    assert_eq!(json[0]["file"], "real/a.role");
}

#[test]
fn links_to_one_directory_walk_it_once_inside_the_root_and_not_at_all_outside() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("policy")).unwrap();
    std::fs::create_dir_all(dir.path().join("shared")).unwrap();
    write(&dir.path().join("shared/a.role"), "role a {}\nuser u { member of a }\n");
    std::os::unix::fs::symlink("../shared", dir.path().join("policy/one")).unwrap();
    std::os::unix::fs::symlink("../shared", dir.path().join("policy/two")).unwrap();
    // Inside `.`: `shared` is walked once (twice more would declare `a` three times).
    let run = rolec(dir.path(), &["lint", "."]);
    assert_eq!(run.code, Some(0), "{}", run.all());
    assert!(!run.stderr.contains("skipped"), "{}", run.all());
    // Outside `policy`: neither link is followed.
    let run = rolec(dir.path(), &["lint", "policy"]);
    assert_eq!(run.code, Some(0), "{}", run.all());
    assert!(
        run.stderr.contains("warning: skipped `policy/one`: a symbolic link to a directory outside `policy`"),
        "{}",
        run.all()
    );
    assert!(run.stderr.contains("warning: skipped `policy/two`"), "{}", run.all());
}

#[test]
fn fifos_are_never_opened() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy");
    std::fs::create_dir(&policy).unwrap();
    write(&policy.join("a.role"), "role a {}\nuser u { member of a }\n");
    mkfifo(&policy.join("p.role"));
    // In a directory: skipped with a warning.
    let run = rolec(dir.path(), &["lint", "policy"]);
    assert_eq!(run.code, Some(0), "{}", run.all());
    assert!(run.stderr.contains("warning: skipped `policy/p.role`: not a regular file (a FIFO)"), "{}", run.all());
    let run = rolec(dir.path(), &["fmt", "--check", "policy"]);
    assert_eq!(run.code, Some(0), "{}", run.all());
    // Given: a usage error.
    let run = rolec(dir.path(), &["lint", "policy/p.role"]);
    assert_eq!(run.code, Some(2), "{}", run.all());
    assert!(run.stderr.contains("cannot read `policy/p.role`: not a regular file (a FIFO)"), "{}", run.all());
    // Imported: an E016 at the import.
    write(&dir.path().join("main.role"), "import \"policy/p.role\"\n");
    let run = rolec(dir.path(), &["lint", "--format", "json", "main.role"]);
    assert_eq!(run.code, Some(1), "{}", run.all());
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let json = &json["diagnostics"];
    assert_eq!(json[0]["code"], "E016", "{}", run.all());
    assert_eq!(json[0]["message"], "cannot read `policy/p.role`: not a regular file (a FIFO)");
}

// ------------------------------------------------------------------------- size limits

#[test]
fn dev_zero_is_refused_as_import_catalog_and_plan() {
    let dir = tempfile::tempdir().unwrap();
    write(&dir.path().join("p.role"), "role a {}\nuser u { member of a }\n");
    write(&dir.path().join("zero.role"), "import \"/dev/zero\"\n");
    let run = rolec(dir.path(), &["lint", "zero.role"]);
    assert_eq!(run.code, Some(1), "{}", run.all());
    assert!(run.stderr.contains("cannot read `/dev/zero`: not a policy file"), "{}", run.all());

    let run = rolec(dir.path(), &["lint", "--catalog", "/dev/zero", "p.role"]);
    assert_eq!(run.code, Some(2), "{}", run.all());
    assert!(
        run.stderr.contains("error: cannot read `/dev/zero`: not a regular file (a character device)"),
        "{}",
        run.all()
    );

    // The saved plan is read before connecting.
    let run = rolec(dir.path(), &["apply", "--db", "host=/nonexistent", "--plan", "/dev/zero", "p.role"]);
    assert_eq!(run.code, Some(1), "{}", run.all());
    assert!(
        run.stderr.contains("error: cannot read `/dev/zero`: not a regular file (a character device)"),
        "{}",
        run.all()
    );
}

/// A file of `size` bytes that takes no room on disk (zero bytes: valid UTF-8).
fn sparse(path: &Path, size: u64) {
    std::fs::File::create(path).unwrap().set_len(size).unwrap();
}

#[test]
fn files_over_the_limits_name_their_size_and_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    write(&dir.path().join("p.role"), "role a {}\nuser u { member of a }\n");
    sparse(&dir.path().join("big.role"), 50 * 1024 * 1024);
    let run = rolec(dir.path(), &["lint", "big.role"]);
    assert_eq!(run.code, Some(2), "{}", run.all());
    assert!(
        run.stderr.contains("error: cannot read `big.role`: it is 50 MiB, over the 16 MiB limit for a policy file"),
        "{}",
        run.all()
    );

    write(&dir.path().join("imports_big.role"), "import \"big.role\"\n");
    let run = rolec(dir.path(), &["lint", "imports_big.role"]);
    assert_eq!(run.code, Some(1), "{}", run.all());
    assert!(
        run.stderr.contains("cannot read `big.role`: it is 50 MiB, over the 16 MiB limit for a policy file"),
        "{}",
        run.all()
    );

    sparse(&dir.path().join("catalog.json"), 300 * 1024 * 1024);
    let run = rolec(dir.path(), &["lint", "--catalog", "catalog.json", "p.role"]);
    assert_eq!(run.code, Some(2), "{}", run.all());
    assert!(
        run.stderr.contains(
            "error: cannot read `catalog.json`: it is 300 MiB, over the 256 MiB limit for a catalog snapshot"
        ),
        "{}",
        run.all()
    );

    sparse(&dir.path().join("plan.json"), 65 * 1024 * 1024);
    let run = rolec(dir.path(), &["apply", "--db", "host=/nonexistent", "--plan", "plan.json", "p.role"]);
    assert_eq!(run.code, Some(1), "{}", run.all());
    assert!(
        run.stderr.contains("error: cannot read `plan.json`: it is 65 MiB, over the 64 MiB limit for a saved plan"),
        "{}",
        run.all()
    );

    // Files under the limit each, over it together.
    let many = dir.path().join("many");
    std::fs::create_dir(&many).unwrap();
    for i in 0..5 {
        sparse(&many.join(format!("f{i}.role")), 15 * 1024 * 1024);
    }
    let run = rolec(dir.path(), &["lint", "many"]);
    assert_eq!(run.code, Some(2), "{}", run.all());
    assert!(run.stderr.contains("error: cannot read `many/f4.role`: the policy's files would be 75 MiB together, over the 64 MiB limit for a whole policy"), "{}", run.all());
}

// ------------------------------------------------------------ imports of non-policy files

const SHADOW: &str = "root:$6$fake-shadow-secret$hash:19000:0:99999:7:::\nsecond-line-secret\n";

#[test]
fn an_import_of_a_file_that_is_not_a_policy_does_not_show_its_text() {
    let dir = tempfile::tempdir().unwrap();
    write(&dir.path().join("shadow"), SHADOW);
    std::os::unix::fs::symlink("shadow", dir.path().join("disguised.role")).unwrap();
    std::fs::write(dir.path().join("latin1.role"), b"role caf\xe9 {}\n").unwrap();
    write(&dir.path().join("p.role"), "import \"shadow\"\nimport \"disguised.role\"\nimport \"latin1.role\"\n");
    for format in ["human", "json", "github"] {
        let run = rolec(dir.path(), &["lint", "--format", format, "p.role"]);
        assert_eq!(run.code, Some(1), "{}", run.all());
        assert!(!run.all().contains("secret"), "{format}: {}", run.all());
        for reason in [
            "cannot read `shadow`: not a policy file: its name does not end in `.role`",
            "cannot read `disguised.role`: not a policy file: it is a link to a file whose name does not end in `.role`",
            "cannot read `latin1.role`: not a policy file: it is not UTF-8 text",
        ] {
            assert!(run.all().contains(reason), "{format}: no `{reason}` in {}", run.all());
        }
    }
    let run = rolec(dir.path(), &["lint", "p.role"]);
    assert!(run.stderr.contains("an import names a UTF-8 text file whose name ends in `.role`"), "{}", run.stderr);
    assert!(!run.stderr.contains("relative to the importing file"), "{}", run.stderr);
    // Given directly: a usage error, without its text either.
    for path in ["shadow", "disguised.role"] {
        let run = rolec(dir.path(), &["lint", path]);
        assert_eq!(run.code, Some(2), "{}", run.all());
        assert!(run.stderr.contains("not a policy file"), "{}", run.all());
        assert!(!run.all().contains("secret"), "{}", run.all());
    }
}

// ------------------------------------------------------------- passwords beside errors

#[test]
fn a_password_beside_a_syntax_error_is_masked_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    write(&dir.path().join("unterminated.role"), "user c { password \"SEKRIT-unterminated\n}\n");
    write(&dir.path().join("scram.role"), "user c { password scram \"SEKRIT-scram\" connection limit x }\n");
    write(&dir.path().join("bare.role"), "user c {\n  password scram SEKRIT-bare\n}\n");
    for file in ["unterminated.role", "scram.role", "bare.role"] {
        for format in ["human", "json", "github"] {
            let run = rolec(dir.path(), &["lint", "--format", format, file]);
            assert_eq!(run.code, Some(1), "{file} {format}: {}", run.all());
            assert!(run.all().contains("E001"), "{file} {format}: {}", run.all());
            assert!(!run.all().contains("SEKRIT"), "{file} {format}: {}", run.all());
        }
    }
}

/// `diff --layout sqitch` extends the project's `sqitch.plan`: one it cannot read (not text, a
/// FIFO) is an error and stays as it was, never replaced by a new plan, and nothing of the
/// migration is written.
#[test]
fn a_sqitch_plan_that_cannot_be_read_is_never_replaced() {
    let dir = tempfile::tempdir().unwrap();
    write(&dir.path().join("old.role"), "role a {}\n");
    write(&dir.path().join("new.role"), "role a {}\nrole b {}\n");
    let out = dir.path().join("migrations");
    std::fs::create_dir(&out).unwrap();
    let plan = out.join("sqitch.plan");
    let history = b"%syntax-version=1.0.0\n%project=roles\n\nfirst 2026-01-01T00:00:00Z Jos\xe9 <j@x> # Latin-1\n";
    std::fs::write(&plan, history).unwrap();
    let args = ["diff", "old.role", "new.role", "-o", "migrations", "--layout", "sqitch", "--name", "second"];
    let run = rolec(dir.path(), &args);
    assert_ne!(run.code, Some(0), "{}", run.all());
    assert!(run.stderr.contains("sqitch.plan") && run.stderr.contains("not UTF-8"), "{}", run.stderr);
    assert_eq!(std::fs::read(&plan).unwrap(), history, "the plan is kept as it was");
    assert!(!out.join("deploy").exists(), "nothing of the migration is written");

    std::fs::remove_file(&plan).unwrap();
    mkfifo(&plan);
    let run = rolec(dir.path(), &args);
    assert_ne!(run.code, Some(0), "{}", run.all());
    assert!(run.stderr.contains("sqitch.plan") && run.stderr.contains("FIFO"), "{}", run.stderr);
    assert!(std::fs::symlink_metadata(&plan).unwrap().file_type().is_fifo(), "the FIFO is left alone");
}
