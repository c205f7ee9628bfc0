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
    let out = Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(env!("CARGO_BIN_EXE_rolec"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
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

/// `explain` of the last role and `who-can "member of r0"`: a chain for each of the 19,999
/// roles reached, each shown by its first and last memberships with the number left out.
#[test]
fn explain_and_who_can_on_a_long_chain_elide_the_chains() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("p.role"), chain(ROLES)).unwrap();
    let last = ROLES - 1;

    let (code, out, stderr) = run(&["explain", &format!("r{last}"), "p.role"], dir.path());
    assert_eq!(code, Some(0), "explain: {stderr}");
    // r19999 reaches r0 by 19,999 memberships: 6 shown at each end.
    let to_r0 = out
        .lines()
        .find(|l| l.contains("→ r0 ("))
        .unwrap_or_else(|| panic!("a chain to r0 in {}", &out[..out.len().min(2000)]));
    assert!(
        to_r0.contains(&format!("r{last} → r{} → r{} → r{} → r{} → r{} → r{} → … 19,987 more … → r6 → r5 → r4 → r3 → r2 → r1 → r0 (p.role:{}, ", last - 1, last - 2, last - 3, last - 4, last - 5, last - 6, ROLES)),
        "{to_r0}"
    );
    assert!(to_r0.ends_with(&format!("(p.role:{}, p.role:{}, p.role:{}, p.role:{}, p.role:{}, p.role:{}, …, p.role:7, p.role:6, p.role:5, p.role:4, p.role:3, p.role:2)", ROLES, ROLES - 1, ROLES - 2, ROLES - 3, ROLES - 4, ROLES - 5)), "{to_r0}");
    // A chain within the bound is shown in full.
    assert!(out.contains(&format!("r{last} → r{} (p.role:{ROLES})", last - 1)), "{}", &out[..out.len().min(2000)]);
    assert!(out.len() < 20_000_000, "{} bytes", out.len());

    let (code, out, stderr) = run(&["who-can", "member of r0", "p.role"], dir.path());
    assert_eq!(code, Some(0), "who-can: {stderr}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "member of r0:");
    assert_eq!(lines.len(), ROLES, "one line per role reaching r0");
    assert_eq!(lines[1], "  r1: r1 → r0 (p.role:2)");
    assert_eq!(lines[13], "  r13: r13 → r12 → r11 → r10 → r9 → r8 → r7 → … 1 more … → r6 → r5 → r4 → r3 → r2 → r1 → r0 (p.role:14, p.role:13, p.role:12, p.role:11, p.role:10, p.role:9, …, p.role:7, p.role:6, p.role:5, p.role:4, p.role:3, p.role:2)");
    assert!(
        lines[last].starts_with(&format!("  r{last}: r{last} → r{} → ", last - 1))
            && lines[last].contains(" → … 19,987 more … → r6 → "),
        "{}",
        lines[last]
    );

    let (code, out, stderr) = run(&["who-can", "member of r0", "p.role", "--format", "json"], dir.path());
    assert_eq!(code, Some(0), "who-can --format json: {stderr}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let roles = v["roles"].as_array().unwrap();
    assert_eq!(roles.len(), ROLES - 1);
    let longest = &roles[last - 1]["chain"];
    assert_eq!(roles[last - 1]["role"], format!("r{last}"));
    assert_eq!((longest["left_out"].as_u64(), longest["left_out_after"].as_u64()), (Some(19_987), Some(6)));
    let steps = longest["steps"].as_array().unwrap();
    let ends: Vec<(&str, &str)> =
        steps.iter().map(|s| (s["member"].as_str().unwrap(), s["role"].as_str().unwrap())).collect();
    assert_eq!(ends.len(), 12);
    assert_eq!(ends[0], (format!("r{last}").as_str(), format!("r{}", last - 1).as_str()));
    assert_eq!(ends[5], (format!("r{}", last - 5).as_str(), format!("r{}", last - 6).as_str()));
    assert_eq!((ends[6], ends[11]), (("r6", "r5"), ("r1", "r0")));
    assert!(roles[0]["chain"].get("left_out").is_none(), "a short chain is whole");
}
