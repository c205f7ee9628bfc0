//! Build benchmarks over a large generated policy (`support/policy.rs`: 10,000 roles and about
//! 100,000 object grants, the users in 12 files).
//!
//! Benchmarks (each on a fresh salsa database unless stated):
//! 1. `parse`: `rolec::syntax::parse` on every file;
//! 2. `resolve`: a fresh `Workspace` and `ws.resolved()` (parse + resolve);
//! 3. `full_build`: load + diagnostics + plan + render up.sql and down.sql to strings;
//! 4. `rebuild_after_edit`: one line changed in one file (`ws.set_text`), then diagnostics +
//!    plan + render; shows what salsa reuses today;
//! 5. `rebuild_after_blank_line`: a blank line inserted at the top of one file (item-relative
//!    spans keep the syntax tree equal, so resolution and lowering are reused).
//!
//! Rendering names each statement's source line with `Workspace::line_of`, as `rolec build`
//! does. The stage lines show the process's memory after each stage (`rss`), and the peak of
//! the build (`maxrss`) after the last.
//!
//! Before criterion runs, one pass prints a per-stage breakdown (`stages:` lines) so that a
//! regression can be located without a profiler. Run with `cargo bench --bench build`;
//! `cargo bench --bench build -- --stages-only` prints the breakdown alone, and
//! `cargo bench --bench build -- --dump DIR` writes the policy out (to time `rolec build`).

/// The allocator of the `rolec` binary, so that the figures are those of the commands.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, SamplingMode};
use rolec::db::{Sources, Workspace};
use rolec::model::BuildOptions;
use rolec::syntax::FileId;

// ---------------------------------------------------------------- the generated policy

#[path = "support/mod.rs"]
mod support;

/// The users are split into this many files.
const USER_FILES: usize = 12;

fn generate() -> Vec<(String, String)> {
    support::policy::generate(USER_FILES)
}

// ---------------------------------------------------------------- the stages

fn options() -> BuildOptions {
    BuildOptions { at: 1_700_000_000, ..BuildOptions::default() }
}

fn load(files: &[(String, String)]) -> Workspace {
    Workspace::load(Sources::Memory(files.to_vec()), options()).expect("in-memory sources load")
}

/// Renders both scripts; returns their sizes.
fn render_scripts(ws: &Workspace) -> (usize, usize) {
    let secret = |_: &str| Some("bench-password".to_string());
    let (up, down) = ws.render_scripts(&secret);
    (up.expect("up.sql renders").len(), down.expect("down.sql renders").len())
}

/// Diagnostics, plan and both scripts, as `rolec build` computes them.
fn build(ws: &Workspace) -> (usize, usize) {
    let diagnostics = ws.diagnostics();
    assert!(
        !diagnostics.iter().any(|d| d.is_error()),
        "the generated policy has errors: {:?}",
        diagnostics.iter().find(|d| d.is_error())
    );
    render_scripts(ws)
}

/// The one-line edit of `rebuild_after_edit`: one more privilege in the first plain grant.
fn edited(text: &str) -> String {
    let line = text.lines().find(|l| l.starts_with("  grant select on table ")).expect("a user grant");
    text.replacen(line, &line.replace("grant select on table", "grant select, update on table"), 1)
}

const EDITED_FILE: &str = "policy/users_05.role";

/// The analysis alone, on every core as the commands run it: every policy rule and lint
/// warning (the model is resolved first by the caller when it should not be counted).
fn analysis(ws: &Workspace) -> usize {
    ws.analysis().iter().map(|part| part.len()).sum()
}

/// Prints the wall time of a stage, the CPU time of this thread and that of the whole process
/// when the system tells them (on a busy machine the CPU times are the steadier figures;
/// stages that use more threads show more process than thread CPU time).
fn time<T>(label: &str, f: impl FnOnce() -> T) -> T {
    let (t, cpu, process) = (Instant::now(), thread_cpu_ns(), process_cpu_ms());
    let out = f();
    let wall = t.elapsed().as_secs_f64() * 1e3;
    let rss = memory_mib("VmRSS:").map(|m| format!(", rss {m} MiB")).unwrap_or_default();
    match (cpu, thread_cpu_ns(), process, process_cpu_ms()) {
        (Some(a), Some(b), Some(p), Some(q)) => println!(
            "stages: {label:<48} {wall:>9.1} ms  (cpu {:.1} ms, process {} ms{rss})",
            (b - a) as f64 / 1e6,
            q - p
        ),
        _ => println!("stages: {label:<48} {wall:>9.1} ms{rss}"),
    }
    out
}

/// A memory figure of this process in MiB (Linux: `/proc/self/status`): `VmRSS:` what it holds
/// now, `VmHWM:` the most it has held (the maxrss of `getrusage`).
fn memory_mib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kib: u64 =
        status.lines().find_map(|l| l.strip_prefix(field))?.trim().strip_suffix("kB")?.trim().parse().ok()?;
    Some(kib / 1024)
}

/// Nanoseconds this thread has run on a CPU (Linux: `/proc/thread-self/schedstat`).
fn thread_cpu_ns() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat").ok()?.split_whitespace().next()?.parse().ok()
}

/// Milliseconds of CPU time of the whole process, every thread (Linux: `/proc/self/stat`,
/// user + system time, in 10 ms clock ticks).
fn process_cpu_ms() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(ticks * 10)
}

/// One pass with a timer around every stage.
fn print_stages(files: &[(String, String)]) {
    let bytes: usize = files.iter().map(|(_, t)| t.len()).sum();
    let lines: usize = files.iter().map(|(_, t)| t.lines().count()).sum();
    println!("stages: policy: {} files, {} lines, {:.1} MiB", files.len(), lines, bytes as f64 / (1 << 20) as f64);
    time("parse (syntax::parse, every file)", || {
        for (i, (_, t)) in files.iter().enumerate() {
            std::hint::black_box(rolec::syntax::parse(t, FileId(i as u32)));
        }
    });
    let ws = time("Workspace::load (parses to follow imports)", || load(files));
    let resolved = time("resolved()", || ws.resolved());
    let m = &resolved.model;
    println!(
        "stages: model: {} roles ({} users), {} memberships, {} grants, {} default privileges, {} schemas",
        m.roles.len(),
        m.roles.iter().filter(|r| r.is_user).count(),
        m.memberships.len(),
        m.grants.len(),
        m.default_privileges.len(),
        m.schemas.len()
    );
    let plan = time("plan() (lowering)", || ws.plan());
    println!("stages: plan: {} up, {} down statements", plan.up.len(), plan.down.len());
    let found = time("analysis (analysis_diagnostics, model resolved)", || analysis(&ws));
    time("membership_analysis (the whole graph: hovers, explain, who-can)", || {
        rolec::db::membership_analysis(&ws.db, ws.policy).clone()
    });
    println!("stages: analysis: {found} diagnostics");
    let diagnostics = time("diagnostics() (everything memoized but the sort)", || ws.diagnostics());
    let codes: std::collections::BTreeSet<_> = diagnostics.iter().map(|d| d.code.as_str()).collect();
    println!(
        "stages: diagnostics: {} ({} errors; codes {codes:?})",
        diagnostics.len(),
        diagnostics.iter().filter(|d| d.is_error()).count()
    );
    time("render up + down (in parallel, as rolec build)", || render_scripts(&ws));
    time("render the diagnostics (human, as rolec build)", || {
        let mut sink = std::io::sink();
        rolec::diagnostics::render::write_human(&diagnostics, &ws, false, &mut sink).expect("a sink takes every byte")
    });
    if let Some(peak) = memory_mib("VmHWM:") {
        println!("stages: peak memory of a build (maxrss, the generated policy held once): {peak} MiB");
    }
    let mut ws = ws;
    let file = ws.file_by_path(EDITED_FILE).expect("edited file");
    let text = files.iter().find(|(p, _)| p == EDITED_FILE).unwrap().1.clone();
    // Each change is relative to the text before it.
    for (label, new_text) in
        [("one-line edit", edited(&text)), ("blank line at the top", format!("\n{}", edited(&text)))]
    {
        ws.set_text(file, new_text);
        time(&format!("re-resolve after a {label}"), || ws.resolved());
        time(&format!("re-analysis after a {label}"), || analysis(&ws));
        time(&format!("rebuild after a {label}: diagnostics + plan"), || (ws.diagnostics(), ws.plan()));
        time(&format!("rebuild after a {label}: render"), || render_scripts(&ws));
    }
    // What a re-analysis re-runs, query by query, after the one-line edit is undone.
    ws.set_text(file, text.clone());
    ws.resolved();
    {
        use rolec::db::analysis as q;
        time("  role_nodes", || q::role_nodes(&ws.db, ws.policy).clone());
        time("  memberships", || q::memberships(&ws.db, ws.policy).clone());
        time("  membership_graph", || q::membership_graph(&ws.db, ws.policy).clone());
        time("  rule_context", || q::rule_context(&ws.db, ws.policy).clone());
        time("  graph_shape", || q::graph_shape(&ws.db, ws.policy).clone());
        time("  memberships_by_chunk", || q::memberships_by_chunk(&ws.db, ws.policy).clone());
        time("  grants_by_role", || q::grants_by_role(&ws.db, ws.policy).clone());
        let n = *q::chunk_count(&ws.db, ws.policy);
        time("  role_chunk (all)", || (0..n).map(|c| q::role_chunk(&ws.db, ws.policy, c).roles.len()).sum::<usize>());
        time("  chunk_view (all)", || (0..n).map(|c| q::chunk_view(&ws.db, ws.policy, c).used.len()).sum::<usize>());
        time("  chunk_diagnostics (all)", || {
            (0..n).map(|c| q::chunk_diagnostics(&ws.db, ws.policy, c).len()).sum::<usize>()
        });
    }
    time("  the rest (analysis_diagnostics)", || analysis(&ws));
}

// ---------------------------------------------------------------- criterion

fn benches(c: &mut Criterion, files: &[(String, String)]) {
    let mut g = c.benchmark_group("build");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(15))
        .sampling_mode(SamplingMode::Flat);

    g.bench_function("parse", |b| {
        b.iter(|| {
            for (i, (_, t)) in files.iter().enumerate() {
                std::hint::black_box(rolec::syntax::parse(t, FileId(i as u32)));
            }
        })
    });

    g.bench_function("resolve", |b| b.iter(|| load(files).resolved().model.roles.len()));

    g.bench_function("full_build", |b| b.iter(|| build(&load(files))));

    // The analysis over a resolved model: from scratch, and after a one-line edit (the
    // re-resolution is done in the setup, outside the measurement).
    g.bench_function("analysis", |b| {
        b.iter_batched(
            || {
                let ws = load(files);
                ws.resolved();
                ws
            },
            |ws| analysis(&ws),
            BatchSize::PerIteration,
        )
    });
    {
        let text = files.iter().find(|(p, _)| p == EDITED_FILE).expect("edited file").1.clone();
        let variants = [text.clone(), edited(&text)];
        let mut ws = load(files);
        analysis(&ws);
        let file = ws.file_by_path(EDITED_FILE).expect("edited file");
        let mut n = 0usize;
        g.bench_function("reanalysis_after_edit", |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    n += 1;
                    ws.set_text(file, variants[n % 2].clone());
                    ws.resolved();
                    let t = Instant::now();
                    std::hint::black_box(analysis(&ws));
                    total += t.elapsed();
                }
                total
            })
        });
    }

    let text = files.iter().find(|(p, _)| p == EDITED_FILE).expect("edited file").1.clone();
    let variants = [text.clone(), edited(&text)];
    let blank = [text.clone(), format!("\n{text}")];
    for (name, variants) in [("rebuild_after_edit", variants), ("rebuild_after_blank_line", blank)] {
        g.bench_function(name, |b| {
            let mut ws = load(files);
            build(&ws);
            let file = ws.file_by_path(EDITED_FILE).expect("edited file");
            let mut n = 0usize;
            b.iter_batched(
                || {
                    // Alternate the two versions so that every iteration is a real change.
                    n += 1;
                    variants[n % 2].clone()
                },
                |new_text| {
                    ws.set_text(file, new_text);
                    build(&ws)
                },
                BatchSize::PerIteration,
            )
        });
    }

    // A membership chain: `r0`, then each `rI` a member of `r(I-1)`. Every role reaches all
    // below it (n²/2 pairs), which the analysis must not materialise.
    let chain = vec![("chain.role".to_string(), membership_chain(CHAIN_ROLES))];
    g.bench_function("chain_analysis", |b| b.iter(|| analysis(&load(&chain))));
    g.bench_function("chain_graph", |b| {
        b.iter(|| {
            let ws = load(&chain);
            let graph = rolec::analysis::graph::RoleGraph::of(
                &ws.resolved().model,
                rolec::db::membership_analysis(&ws.db, ws.policy),
            );
            graph.dot().len()
        })
    });
    g.finish();
}

/// The roles of the `chain_*` benchmarks.
const CHAIN_ROLES: usize = 20_000;

/// `role r0 {}`, then `role rI { member of r(I-1) }` up to `r(n-1)`.
fn membership_chain(n: usize) -> String {
    let mut text = String::from("role r0 {}\n");
    for i in 1..n {
        text += &format!("role r{i} {{ member of r{} }}\n", i - 1);
    }
    text
}

fn main() {
    let files = generate();
    let args: Vec<String> = std::env::args().collect();
    // `cargo bench` passes `--bench`; `cargo test --benches` does not: then check that the
    // generated policy builds without errors and stop.
    // `--dump DIR` writes the generated policy out, to time `rolec build` on it.
    if let Some(dir) = args.iter().position(|a| a == "--dump").and_then(|i| args.get(i + 1)) {
        for (path, text) in &files {
            let path = std::path::Path::new(dir).join(path);
            std::fs::create_dir_all(path.parent().expect("a directory")).expect("create the directory");
            std::fs::write(&path, text).expect("write the policy");
        }
        println!("wrote {} files to {dir}", files.len());
        return;
    }
    if !args.iter().any(|a| a == "--bench") {
        build(&load(&files));
        println!("build bench: the generated policy builds ({} files)", files.len());
        return;
    }
    print_stages(&files);
    if args.iter().any(|a| a == "--stages-only") {
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    benches(&mut c, &files);
    c.final_summary();
}
