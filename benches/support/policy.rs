//! The large generated policy of the benchmarks, the same on every run (a fixed seed).
//!
//! It looks like a real (large) repository: 10,000 roles and about 100,000 object grants in
//! 10 files, plus the users split into as many files as asked:
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
//! - `duties.role`: 200 duty roles, held by one user in 20;
//! - `policies.role`: policy rules (100 exclusivity rules between duties, hygiene, limits on
//!   schemas, tables and tagged tables), checked on every build.
//!
//! Include it with `#[path = "support/mod.rs"] mod support;` and call
//! `support::policy::generate`.

const SCHEMAS: usize = 50;
const LAYERS: usize = 15; // written group layers; the `for` loop adds REGION_LAYERS more
const GROUPS_PER_LAYER: usize = 10;
const REGIONS: usize = 50;
const REGION_LAYERS: usize = 5;
const USERS: usize = 9_750;
const TABLES_PER_SCHEMA: usize = 400;
/// Schemas whose tables are all declared (`table` inventory), 400 each.
const INVENTORY_SCHEMAS: usize = 10;
const EXCLUSIVE_RULES: usize = 100;

use super::rng::Rng;

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

/// `(path, text)` of every file of the policy, the users split into `user_files` files (the
/// same users, in the same order, whatever the split).
pub fn generate(user_files: usize) -> Vec<(String, String)> {
    let mut rng = Rng(0x5eed_1234_abcd_ef01);
    let mut files = Vec::new();

    // Schemas, their owners and explicit default privileges.
    let mut s = String::from("// Schemas of the application and the roles that create their objects.\n\n");
    for i in 0..SCHEMAS {
        s.push_str(&format!("/// Owns schema s_{i:02}; migrations run as this role.\nrole owner_{i:02} {{\n  grant usage, create on schema s_{i:02}\n}}\n"));
        if i % 5 == 0 {
            s.push_str(&format!(
                "schema s_{i:02} {{\n  owner owner_{i:02}\n  creators [owner_{:02}]\n}}\n",
                (i + 1) % SCHEMAS
            ));
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
                    _ => s.push_str(&format!(
                        "  grant usage on schema s_{schema:02}\n  grant select on tables in schema s_{schema:02}\n"
                    )),
                }
                for _ in 0..8 {
                    s.push_str(&format!("  grant select, insert on table {}\n", table(&mut rng)));
                }
                s.push_str(&format!("  grant update on column (status, updated_at) of table {}\n", table(&mut rng)));
                s.push_str(&format!("  grant usage on sequence s_{schema:02}.seq_{}\n", rng.below(100)));
                s.push_str(&format!(
                    "  grant execute on function s_{schema:02}.fn_{}(integer, text)\n",
                    rng.below(100)
                ));
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
    let mut exclusive = format!(
        "  warn exclusive {}, {}\n  warn exclusive {}, {}\n",
        group(0, 1),
        group(0, 2),
        group(3, 4),
        group(3, 5)
    );
    for r in 0..EXCLUSIVE_RULES {
        exclusive.push_str(&format!("  exclusive duty_{:03}, duty_{:03}\n", 2 * r, 2 * r + 1));
    }
    let policies = format!(
        "// Rules every change must keep (the generated hierarchy breaks some: `warn` keeps them\n// warnings, so that the benchmark measures their analysis on a buildable policy).\n\npolicy separation_of_duties {{\n{exclusive}}}\n\npolicy hygiene {{\n  forbid superuser\n  forbid grant on schema public to public\n  warn memberships deeper than 25\n}}\n\npolicy limits applies to users {{\n  warn max schemas 51\n  warn max tables 5000\n  warn max tables tagged pci 380\n}}\n"
    );
    files.push(("policy/policies.role".to_string(), policies));

    // Users.
    let per_file = USERS.div_ceil(user_files);
    for f in 0..user_files {
        let mut s = format!("// People and services, part {}.\n\n", f + 1);
        for u in f * per_file..((f + 1) * per_file).min(USERS) {
            let groups: Vec<String> = (0..1 + rng.below(3)).map(|_| any_group(&mut rng)).collect();
            let mut groups_dedup = groups.clone();
            groups_dedup.sort();
            groups_dedup.dedup();
            let name = format!("\"user.{u:05}\"");
            if u % 10 == 0 {
                let schema = rng.below(SCHEMAS);
                s.push_str(&format!(
                    "user {name}: service(s_{schema:02}, \"table_{}\") {{\n",
                    rng.below(TABLES_PER_SCHEMA)
                ));
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
                    8 => s.push_str(&format!(
                        "  grant usage on sequence s_{:02}.seq_{}\n",
                        rng.below(SCHEMAS),
                        rng.below(100)
                    )),
                    9 => s.push_str(&format!(
                        "  grant execute on function s_{:02}.fn_{}(integer, text)\n",
                        rng.below(SCHEMAS),
                        rng.below(100)
                    )),
                    _ => s.push_str(&format!("  grant select on table {}\n", table(&mut rng))),
                }
            }
            s.push_str("}\n\n");
        }
        files.push((format!("policy/users_{f:02}.role"), s));
    }
    files
}
