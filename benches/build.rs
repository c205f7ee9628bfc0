//! Build benchmarks over a large generated policy.
//!
//! The policy looks like a real (large) repository: 20 files, 10,000 roles and about
//! 100,000 object grants:
//!
//! - `schemas.role`: 50 schemas, each with an owner role (some with extra creators), and
//!   explicit default privileges per owner;
//! - `templates.role`: templates used by some groups and users;
//! - `groups_0*.role`: 150 group roles in 15 layers; each group is a member of one or two
//!   groups of the layer below, so membership chains are up to 20 deep (with the regions);
//! - `regions.role`: a `let` list and a `for` loop generating 50 more group roles in 5
//!   more layers on top;
//! - `users_*.role`: 9,750 users, each a member of 1–3 groups, each with ~10 grants on
//!   tables, columns, sequences and functions (some users come from templates);
//! - `inventory.role`: the 4,000 tables of 10 schemas, one in ten tagged `pci`;
//! - `policies.role`: policy rules (100 exclusivity rules between random groups, hygiene,
//!   limits on schemas, tables and tagged tables), checked on every build.
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
//! does.
//!
//! Before criterion runs, one pass prints a per-stage breakdown (`stages:` lines) so that a
//! regression can be located without a profiler. Run with `cargo bench --bench build`;
//! `cargo bench --bench build -- --stages-only` prints the breakdown alone, and
//! `cargo bench --bench build -- --dump DIR` writes the policy out (to time `rolec build`).

use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, SamplingMode};
use rolec::db::{Sources, Workspace};
use rolec::model::BuildOptions;
use rolec::syntax::FileId;

// ---------------------------------------------------------------- the generated policy

const SCHEMAS: usize = 50;
const LAYERS: usize = 15; // written group layers; the `for` loop adds REGION_LAYERS more
const GROUPS_PER_LAYER: usize = 10;
const REGIONS: usize = 50;
const REGION_LAYERS: usize = 5;
const USERS: usize = 9_750;
const USER_FILES: usize = 12;
const TABLES_PER_SCHEMA: usize = 400;
/// Schemas whose tables are all declared (`table` inventory), 400 each.
const INVENTORY_SCHEMAS: usize = 10;
const EXCLUSIVE_RULES: usize = 100;

#[path = "support/rng.rs"]
mod rng;
use rng::Rng;

fn group(layer: usize, k: usize) -> String {
    format!("grp_{layer:02}_{k}")
}

/// The group roles a user can join: written groups and generated region groups.
fn any_group(rng: &mut Rng) -> String {
    if rng.below(5) == 0 {
        format!("\"region_{}_{:02}\"", rng.below(REGION_LAYERS), rng.below(REGIONS / REGION_LAYERS))
    } else {
        group(rng.below(LAYERS), rng.below(GROUPS_PER_LAYER))
    }
}

fn table(rng: &mut Rng) -> String {
    format!("s_{:02}.table_{}", rng.below(SCHEMAS), rng.below(TABLES_PER_SCHEMA))
}

/// `(path, text)` of every file of the policy.
pub fn generate() -> Vec<(String, String)> {
    let mut rng = Rng(0x5eed_1234_abcd_ef01);
    let mut files = Vec::new();

    // Schemas, their owners and explicit default privileges.
    let mut s = String::from("// Schemas of the application and the roles that create their objects.\n\n");
    for i in 0..SCHEMAS {
        s.push_str(&format!("/// Owns schema s_{i:02}; migrations run as this role.\nrole owner_{i:02} {{\n  grant usage, create on schema s_{i:02}\n}}\n"));
        if i % 5 == 0 {
            s.push_str(&format!("schema s_{i:02} {{\n  owner owner_{i:02}\n  creators [owner_{:02}]\n}}\n", (i + 1) % SCHEMAS));
        } else {
            s.push_str(&format!("schema s_{i:02} {{ owner owner_{i:02} }}\n"));
        }
        s.push_str(&format!(
            "defaults for role owner_{i:02} in schema s_{i:02} {{\n  grant select on tables to {}\n  grant usage on sequences to {}\n  grant execute on functions to {}\n}}\n\n",
            group(0, i % GROUPS_PER_LAYER),
            group(1, i % GROUPS_PER_LAYER),
            group(2, i % GROUPS_PER_LAYER),
        ));
    }
    s.push_str("defaults for role owner_00, owner_01 {\n  revoke execute on functions from public\n}\n");
    s.push_str("public {\n  revoke create on schema public from public\n}\n");
    files.push(("policy/schemas.role".to_string(), s));

    // Templates.
    let templates = "\
// Reusable bodies.

/// Read access to a schema: now and later.
template reader(s: schema) {
  grant usage on schema s
  grant select on tables in schema s
}

/// Read and write access to a schema.
template writer(s: schema) {
  use reader(s)
  grant insert, update, delete on tables in schema s
  grant usage, select on sequences in schema s
}

/// A service account working on one table.
template service(s: schema, t: string, timeout: duration = 30s) {
  set statement_timeout = timeout
  connection limit 10
  grant usage on schema s
  grant select, insert, update on table s.t
}
";
    files.push(("policy/templates.role".to_string(), templates.to_string()));

    // Written groups, in layers; layer 0 holds the leaves.
    let per_file = LAYERS.div_ceil(4);
    for f in 0..4 {
        let mut s = format!("// Group roles, layers {} to {}.\n\n", f * per_file, ((f + 1) * per_file).min(LAYERS) - 1);
        for layer in f * per_file..((f + 1) * per_file).min(LAYERS) {
            for k in 0..GROUPS_PER_LAYER {
                let schema = (layer * GROUPS_PER_LAYER + k) % SCHEMAS;
                s.push_str(&format!("/// Group {k} of layer {layer}.\nrole {} {{\n", group(layer, k)));
                if layer > 0 {
                    let a = group(layer - 1, k);
                    let b = group(layer - 1, (k + 1 + rng.below(GROUPS_PER_LAYER - 1)) % GROUPS_PER_LAYER);
                    if rng.below(2) == 0 {
                        s.push_str(&format!("  member of {a}, {b}\n"));
                    } else {
                        s.push_str(&format!("  member of {a}\n"));
                    }
                }
                match k % 3 {
                    0 => s.push_str(&format!("  use reader(s_{schema:02})\n")),
                    1 => s.push_str(&format!("  use writer(s_{schema:02})\n")),
                    _ => s.push_str(&format!("  grant usage on schema s_{schema:02}\n  grant select on tables in schema s_{schema:02}\n")),
                }
                for _ in 0..8 {
                    s.push_str(&format!("  grant select, insert on table {}\n", table(&mut rng)));
                }
                s.push_str(&format!("  grant update on column (status, updated_at) of table {}\n", table(&mut rng)));
                s.push_str(&format!("  grant usage on sequence s_{schema:02}.seq_{}\n", rng.below(100)));
                s.push_str(&format!("  grant execute on function s_{schema:02}.fn_{}(integer, text)\n", rng.below(100)));
                if k == 0 {
                    s.push_str("  set work_mem = \"64MB\"\n");
                }
                s.push_str("}\n\n");
            }
        }
        files.push((format!("policy/groups_{f:02}.role"), s));
    }

    // Region groups from `for` loops over one `let` list, REGION_LAYERS more layers on top of
    // the written ones: region_L_J is a member of region_(L-1)_J.
    let per_layer = REGIONS / REGION_LAYERS;
    let ids: Vec<String> = (0..per_layer).map(|j| format!("\"{j:02}\"")).collect();
    let mut s = format!("// Sales regions, one group per region and level.\n\nlet regions = [{}]\n\n", ids.join(", "));
    for l in 0..REGION_LAYERS {
        let below = if l == 0 { group(LAYERS - 1, 0) } else { format!("\"region_{}_{{r}}\"", l - 1) };
        s.push_str(&format!(
            "for r in regions {{\n  /// Level {l} of region {{r}}.\n  role \"region_{l}_{{r}}\" {{\n    member of {below}\n    grant usage on schema s_00\n    grant select on table s_00.\"sales_{{r}}\"\n    grant select, insert, update on table s_01.\"orders_{l}_{{r}}\"\n  }}\n}}\n\n"
        ));
    }
    files.push(("policy/regions.role".to_string(), s));

    // Inventory: every table of the first INVENTORY_SCHEMAS schemas, one in ten tagged `pci`.
    let mut s = String::from("// Tables whose privileges the limits count.\n\n");
    for i in 0..INVENTORY_SCHEMAS {
        for t in 0..TABLES_PER_SCHEMA {
            let tags = if t % 10 == 0 { " { tags [pci] }" } else { "" };
            s.push_str(&format!("table s_{i:02}.\"table_{t}\"{tags}\n"));
        }
    }
    files.push(("policy/inventory.role".to_string(), s));

    // Duties for separation of duties: EXCLUSIVE_RULES pairs of duty roles that no one may
    // hold both of (rules that fail the build: none is broken); one user in 20 holds a duty.
    let mut s = String::from("// Duties that must stay apart.\n\n");
    for d in 0..2 * EXCLUSIVE_RULES {
        s.push_str(&format!("/// Duty {d}.\nrole duty_{d:03} {{\n  grant usage on schema s_{:02}\n}}\n", d % SCHEMAS));
    }
    files.push(("policy/duties.role".to_string(), s));

    // Policies: the exclusive duties, two pairs of groups the generated hierarchy breaks,
    // hygiene and limits.
    let mut exclusive = format!("  warn exclusive {}, {}\n  warn exclusive {}, {}\n", group(0, 1), group(0, 2), group(3, 4), group(3, 5));
    for r in 0..EXCLUSIVE_RULES {
        exclusive.push_str(&format!("  exclusive duty_{:03}, duty_{:03}\n", 2 * r, 2 * r + 1));
    }
    let policies = format!(
        "// Rules every change must keep (the generated hierarchy breaks some: `warn` keeps them\n// warnings, so that the benchmark measures their analysis on a buildable policy).\n\npolicy separation_of_duties {{\n{exclusive}}}\n\npolicy hygiene {{\n  forbid superuser\n  forbid grant on schema public to public\n  warn memberships deeper than 25\n}}\n\npolicy limits applies to users {{\n  warn max schemas 51\n  warn max tables 5000\n  warn max tables tagged pci 380\n}}\n"
    );
    files.push(("policy/policies.role".to_string(), policies));

    // Users.
    let per_file = USERS.div_ceil(USER_FILES);
    for f in 0..USER_FILES {
        let mut s = format!("// People and services, part {}.\n\n", f + 1);
        for u in f * per_file..((f + 1) * per_file).min(USERS) {
            let groups: Vec<String> = (0..1 + rng.below(3)).map(|_| any_group(&mut rng)).collect();
            let mut groups_dedup = groups.clone();
            groups_dedup.sort();
            groups_dedup.dedup();
            let name = format!("\"user.{u:05}\"");
            if u % 10 == 0 {
                let schema = rng.below(SCHEMAS);
                s.push_str(&format!("user {name}: service(s_{schema:02}, \"table_{}\") {{\n", rng.below(TABLES_PER_SCHEMA)));
            } else {
                s.push_str(&format!("/// Employee {u}.\nuser {name} {{\n"));
            }
            s.push_str(&format!("  member of {}\n", groups_dedup.join(", ")));
            if u % 20 == 0 {
                s.push_str(&format!("  member of duty_{:03}\n", rng.below(2 * EXCLUSIVE_RULES)));
            }
            if u % 97 == 0 {
                s.push_str("  valid until 2030-01-01\n");
            }
            if u % 50 == 0 {
                s.push_str("  set search_path = [\"app\", \"public\"]\n");
            }
            let n = if u % 10 == 0 { 8 } else { 10 };
            for g in 0..n {
                match g {
                    0 => s.push_str(&format!("  grant usage on schema s_{:02}\n", rng.below(SCHEMAS))),
                    7 => s.push_str(&format!("  grant update on column (note) of table {}\n", table(&mut rng))),
                    8 => s.push_str(&format!("  grant usage on sequence s_{:02}.seq_{}\n", rng.below(SCHEMAS), rng.below(100))),
                    9 => s.push_str(&format!("  grant execute on function s_{:02}.fn_{}(integer, text)\n", rng.below(SCHEMAS), rng.below(100))),
                    _ => s.push_str(&format!("  grant select on table {}\n", table(&mut rng))),
                }
            }
            s.push_str("}\n\n");
        }
        files.push((format!("policy/users_{f:02}.role"), s));
    }
    files
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
    assert!(!diagnostics.iter().any(|d| d.is_error()), "the generated policy has errors: {:?}", diagnostics.iter().find(|d| d.is_error()));
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
    match (cpu, thread_cpu_ns(), process, process_cpu_ms()) {
        (Some(a), Some(b), Some(p), Some(q)) => println!("stages: {label:<48} {wall:>9.1} ms  (cpu {:.1} ms, process {} ms)", (b - a) as f64 / 1e6, q - p),
        _ => println!("stages: {label:<48} {wall:>9.1} ms"),
    }
    out
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
    println!("stages: analysis: {found} diagnostics");
    let diagnostics = time("diagnostics() (everything memoized but the sort)", || ws.diagnostics());
    let codes: std::collections::BTreeSet<_> = diagnostics.iter().map(|d| d.code.as_str()).collect();
    println!("stages: diagnostics: {} ({} errors; codes {codes:?})", diagnostics.len(), diagnostics.iter().filter(|d| d.is_error()).count());
    time("render up + down (in parallel, as rolec build)", || render_scripts(&ws));
    let mut ws = ws;
    let file = ws.file_by_path(EDITED_FILE).expect("edited file");
    let text = files.iter().find(|(p, _)| p == EDITED_FILE).unwrap().1.clone();
    // Each change is relative to the text before it.
    for (label, new_text) in [("one-line edit", edited(&text)), ("blank line at the top", format!("\n{}", edited(&text)))] {
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
        time("  membership_graph", || q::membership_graph(&ws.db, ws.policy).clone());
        time("  membership_analysis", || q::membership_analysis(&ws.db, ws.policy).clone());
        time("  memberships", || q::memberships(&ws.db, ws.policy).clone());
        time("  rule_context", || q::rule_context(&ws.db, ws.policy).clone());
        time("  role_slots", || q::role_slots(&ws.db, ws.policy).clone());
        time("  grants_by_role", || q::grants_by_role(&ws.db, ws.policy).clone());
        let n = q::role_slots(&ws.db, ws.policy).chunks;
        time("  role_chunk (all)", || (0..n).map(|c| q::role_chunk(&ws.db, ws.policy, c).roles.len()).sum::<usize>());
        time("  chunk_diagnostics (all)", || (0..n).map(|c| q::chunk_diagnostics(&ws.db, ws.policy, c).len()).sum::<usize>());
    }
    time("  the rest (analysis_diagnostics)", || analysis(&ws));
}

// ---------------------------------------------------------------- criterion

fn benches(c: &mut Criterion, files: &[(String, String)]) {
    let mut g = c.benchmark_group("build");
    g.sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(15)).sampling_mode(SamplingMode::Flat);

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
    g.finish();
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
