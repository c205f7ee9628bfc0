//! A long membership chain against the real binary: `role r0 {}`, then each `rI` a member of
//! `r(I-1)`. Every role reaches every role below it, n²/2 pairs in all; the commands must not
//! materialise them. The binary runs with its address space capped (`ulimit -v`) and a
//! deadline, so a quadratic analysis fails the test instead of the machine.

use std::path::Path;
use std::process::Command;

/// Roles in the chain: 200 million pairs reached.
const ROLES: usize = 20_000;

/// Address space the binary may use, in KiB. The pairs alone, at 8 bytes each and per mode,
/// would take several times this.
const ADDRESS_SPACE_KIB: u64 = 1_000_000;

/// Seconds a command may take in a debug build on a busy machine.
const DEADLINE_SECS: u32 = 300;

fn chain(n: usize) -> String {
    let mut text = String::from("role r0 {}\n");
    for i in 1..n {
        text += &format!("role r{i} {{ member of r{} }}\n", i - 1);
    }
    text
}

/// `rolec ARGS` in `dir` under the address-space cap and the deadline: its exit code (`None`
/// when a signal ended it), standard output and standard error.
fn run(args: &[&str], dir: &Path) -> (Option<i32>, String, String) {
    let script = format!("ulimit -v {ADDRESS_SPACE_KIB}; exec timeout {DEADLINE_SECS} \"$0\" \"$@\"");
    let out = Command::new("sh").arg("-c").arg(script).arg(env!("CARGO_BIN_EXE_rolec")).args(args).current_dir(dir).output().unwrap();
    (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn lint_build_and_graph_of_a_long_chain_stay_within_linear_memory() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("p.role"), chain(ROLES)).unwrap();

    let (code, _, stderr) = run(&["lint", "p.role"], dir.path());
    assert_eq!(code, Some(0), "lint: {stderr}");

    let (code, _, stderr) = run(&["build", "p.role", "--out", "out"], dir.path());
    assert_eq!(code, Some(0), "build: {stderr}");
    let up = std::fs::read_to_string(dir.path().join("out/up.sql")).unwrap();
    assert!(up.contains(&format!("GRANT \"r{}\" TO \"r{}\"", ROLES - 2, ROLES - 1)), "the last membership is granted");

    let (code, dot, stderr) = run(&["graph", "p.role"], dir.path());
    assert_eq!(code, Some(0), "graph: {stderr}");
    assert_eq!(dot.matches(" -> ").count(), ROLES - 1, "one edge per membership");
}
