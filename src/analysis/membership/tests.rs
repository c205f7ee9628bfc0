use std::sync::Arc;

use super::chain::thousands;
use super::*;
use crate::db::{Sources, Workspace};
use crate::diagnostics::Diagnostic;
use crate::model::{BuildOptions, Model};

/// 2026-06-01T00:00:00Z
const AT: i64 = 1_780_272_000;

fn model(text: &str, version: u32) -> Model {
    let options = BuildOptions { target_version: version, at: AT, ..Default::default() };
    let ws = Workspace::load(Sources::Memory(vec![("t.role".into(), text.into())]), options).unwrap();
    let errors: Vec<String> =
        ws.diagnostics().iter().filter(|d| Diagnostic::is_error(d)).map(|d| d.message.clone()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    ws.resolved().model.clone()
}

fn analysis(text: &str, version: u32) -> (Model, MembershipAnalysis) {
    let m = model(text, version);
    let a = reach(&m, version);
    (m, a)
}

/// The chain as `a>b>c`, `same`, `superuser` or `-` (false).
fn path(a: &MembershipAnalysis, role: &str, granted: &str, mode: Mode) -> String {
    match a.answer(role, granted, mode) {
        None => "-".into(),
        Some(Chain::SameRole) => "same".into(),
        Some(Chain::Superuser) => "superuser".into(),
        Some(Chain::Memberships(steps)) => {
            let (before, after) = steps.parts();
            for part in [before, after] {
                for w in part.windows(2) {
                    assert_eq!(w[0].role, w[1].member, "steps connect");
                }
            }
            assert_eq!(after.is_empty(), steps.left_out() == 0);
            let shown = steps.shown();
            assert_eq!(shown[0].member, role);
            assert_eq!(shown.last().unwrap().role, granted);
            let mut s = shown[0].member.clone();
            for st in before {
                s.push('>');
                s.push_str(&st.role);
            }
            if let Some(resumed) = after.first() {
                s.push_str(&format!(">~{}~>{}", steps.left_out(), resumed.member));
            }
            for st in after {
                s.push('>');
                s.push_str(&st.role);
            }
            s
        }
    }
}

/// `(MEMBER, USAGE, SET)` chains.
fn modes(a: &MembershipAnalysis, role: &str, granted: &str) -> [String; 3] {
    Mode::ALL.map(|m| path(a, role, granted, m))
}

const CHAIN: &str = "role a\nrole b { member of a }\nrole c {\n  noinherit\n  member of b\n}\nuser u { member of c }\n";

#[test]
fn noinherit_attribute_on_15_is_live_per_member() {
    let (_, a) = analysis(CHAIN, 15);
    // u inherits c; c does not inherit b (its attribute), so u has nothing beyond c.
    assert_eq!(modes(&a, "u", "c"), ["u>c", "u>c", "u>c"]);
    assert_eq!(modes(&a, "u", "b"), ["u>c>b", "-", "u>c>b"]);
    assert_eq!(modes(&a, "u", "a"), ["u>c>b>a", "-", "u>c>b>a"]);
    assert_eq!(modes(&a, "c", "b"), ["c>b", "-", "c>b"]);
    // b inherits a.
    assert_eq!(modes(&a, "b", "a"), ["b>a", "b>a", "b>a"]);
}

#[test]
fn on_16_the_attribute_is_only_the_default_of_the_membership() {
    let (_, a) = analysis(CHAIN, 16);
    // Same answers: c's grant defaults to INHERIT FALSE.
    assert_eq!(modes(&a, "u", "b"), ["u>c>b", "-", "u>c>b"]);
    // An explicit option beats the attribute, both ways.
    let text = "role a\nrole b\nrole c {\n  noinherit\n  member of b inherit\n}\nuser u { member of c noinherit\n member of a }\n";
    let (_, a) = analysis(text, 16);
    assert_eq!(modes(&a, "c", "b"), ["c>b", "c>b", "c>b"]);
    assert_eq!(modes(&a, "u", "c"), ["u>c", "-", "u>c"]);
    assert_eq!(modes(&a, "u", "b"), ["u>c>b", "-", "u>c>b"]);
    assert_eq!(modes(&a, "u", "a"), ["u>a", "u>a", "u>a"]);
}

#[test]
fn noset_blocks_set_role_but_not_membership_or_usage() {
    let text = "role a\nrole b { member of a }\nuser u { member of b noset }\nuser v { member of b }\n";
    let (_, a) = analysis(text, 17);
    assert_eq!(modes(&a, "u", "b"), ["u>b", "u>b", "-"]);
    assert_eq!(modes(&a, "u", "a"), ["u>b>a", "u>b>a", "-"]);
    assert_eq!(modes(&a, "v", "a"), ["v>b>a", "v>b>a", "v>b>a"]);
    assert!(!a.has("u", "a", Mode::Set));
    assert!(a.has("u", "a", Mode::Usage));
}

#[test]
fn superuser_has_every_role_in_every_mode() {
    let text = "role a\nrole b { noinherit }\nuser boss {\n  superuser\n  noinherit\n}\nexternal role ext\n";
    let (_, a) = analysis(text, 16);
    for g in ["a", "b", "ext", "pg_read_all_data", "nobody_known"] {
        assert_eq!(modes(&a, "boss", g), ["superuser", "superuser", "superuser"], "{g}");
    }
    assert_eq!(modes(&a, "boss", "boss"), ["same", "same", "same"]);
    assert_eq!(modes(&a, "a", "b"), ["-", "-", "-"]);
    assert!(a.is_superuser("boss") && !a.is_superuser("a"));
    // Superuser is not inherited.
    let (_, a) = analysis("user boss { superuser }\nrole r { member of boss }\nrole x\n", 15);
    assert_eq!(modes(&a, "r", "x"), ["-", "-", "-"]);
    assert_eq!(modes(&a, "r", "boss"), ["r>boss", "r>boss", "r>boss"]);
}

#[test]
fn external_and_predefined_roles_end_chains() {
    let text = "external role ext\nrole a { member of ext, pg_read_all_data }\nuser u { member of a }\n";
    let (m, a) = analysis(text, 15);
    assert_eq!(modes(&a, "u", "ext"), ["u>a>ext", "u>a>ext", "u>a>ext"]);
    assert_eq!(
        modes(&a, "u", "pg_read_all_data"),
        ["u>a>pg_read_all_data", "u>a>pg_read_all_data", "u>a>pg_read_all_data"]
    );
    // Their own memberships are unknown: none.
    assert_eq!(a.granted_roles("ext", Mode::Member).count(), 0);
    assert_eq!(modes(&a, "ext", "ext"), ["same", "same", "same"]);
    assert_eq!(modes(&a, "ext", "a"), ["-", "-", "-"]);
    // Unknown names: only the same role.
    assert_eq!(modes(&a, "ghost", "ghost"), ["same", "same", "same"]);
    assert_eq!(modes(&a, "ghost", "a"), ["-", "-", "-"]);
    assert_eq!(modes(&a, "u", "ghost"), ["-", "-", "-"]);
    // A membership whose member is outside the model (a hand-built model) is followed,
    // and an external member inherits (PostgreSQL's default).
    let mut m = m;
    m.memberships.push(Arc::new(crate::model::Membership {
        member: "ext".into(),
        role: "pg_monitor".into(),
        ..(*m.memberships[0]).clone()
    }));
    let a = reach(&m, 15);
    assert_eq!(modes(&a, "u", "pg_monitor"), ["u>a>ext>pg_monitor", "u>a>ext>pg_monitor", "u>a>ext>pg_monitor"]);
    let roles: Vec<&str> = a.roles().collect();
    assert_eq!(roles, ["a", "u", "ext", "pg_read_all_data", "pg_monitor"]);
}

#[test]
fn closed_windows_are_not_granted() {
    let text = "role a\nrole b { member of a from 2020-01-01 until 2020-02-01 }\nuser u {\n  member of b\n  member of a from 2030-01-01\n}\n";
    let (m, a) = analysis(text, 16);
    assert_eq!(m.memberships.iter().filter(|x| !x.active).count(), 2);
    assert_eq!(modes(&a, "u", "b"), ["u>b", "u>b", "u>b"]);
    assert_eq!(modes(&a, "u", "a"), ["-", "-", "-"]);
    assert_eq!(modes(&a, "b", "a"), ["-", "-", "-"]);
}

#[test]
fn the_shortest_chain_is_reported_with_model_indexes() {
    // u reaches a by u>b>c>d>a and by u>e>a; and USAGE only by the long way, since e
    // does not inherit (u has e's privileges, not a's through e).
    let text = "role a\nrole d { member of a }\nrole c { member of d }\nrole b { member of c }\nrole e {\n  noinherit\n  member of a\n}\nuser u { member of b, e }\n";
    let (m, a) = analysis(text, 15);
    assert_eq!(modes(&a, "u", "a"), ["u>e>a", "u>b>c>d>a", "u>e>a"]);
    let Some(Chain::Memberships(steps)) = a.answer("u", "a", Mode::Member) else { panic!() };
    for s in steps.shown() {
        let ms = &m.memberships[s.membership];
        assert_eq!((&ms.member, &ms.role), (&s.member, &s.role));
    }
    let granted: Vec<&str> = a.granted_roles("u", Mode::Usage).collect();
    assert_eq!(granted, ["a", "d", "c", "b", "e"]);
}

#[test]
fn set_equals_member_before_16() {
    let (_, a) = analysis(CHAIN, 14);
    for (r, g) in [("u", "a"), ("u", "b"), ("c", "a"), ("a", "u")] {
        assert_eq!(a.answer(r, g, Mode::Set), a.answer(r, g, Mode::Member), "{r} {g}");
    }
}

#[test]
fn thousands_of_roles() {
    // A layered hierarchy: 3000 roles, each a member of two roles of the layer below.
    let mut text = String::new();
    let layers = 30;
    let width = 100;
    for l in 0..layers {
        for i in 0..width {
            text.push_str(&format!("role r{l}_{i}"));
            if l > 0 {
                text.push_str(&format!(" {{ member of r{}_{i}, r{}_{} }}", l - 1, l - 1, (i + 1) % width));
            }
            text.push('\n');
        }
    }
    let m = model(&text, 16);
    let start = std::time::Instant::now();
    let a = reach(&m, 16);
    let took = start.elapsed();
    assert!(took.as_secs() < 20, "{took:?}");
    assert!(matches!(a.answer("r29_0", "r0_0", Mode::Usage), Some(Chain::Memberships(s)) if s.len() == 29));
    assert_eq!(a.granted_roles("r29_0", Mode::Member).count(), (1..layers).map(|d| (d + 1).min(width)).sum::<usize>());
    // The lengths counted in one pass are those of the chains `answer` builds.
    for role in ["r29_0", "r15_7", "r1_99"] {
        for (granted, len) in a.granted_roles_with_len(role, Mode::Usage) {
            let Some(Chain::Memberships(steps)) = a.answer(role, granted, Mode::Usage) else {
                panic!("{role} reaches {granted}")
            };
            assert_eq!(len, steps.len(), "{role} → {granted}");
        }
    }
}

/// Every answer of [`MembershipAnalysis::reaching`] is that of `answer`, chain included.
fn reaching_answers_as_answer(a: &MembershipAnalysis) {
    let roles: Vec<&str> = a.roles().chain(["ghost"]).collect();
    for mode in Mode::ALL {
        for granted in &roles {
            let reaching = a.reaching(granted, mode);
            for role in &roles {
                assert_eq!(reaching.answer(role), a.answer(role, granted, mode), "{role} → {granted} {mode:?}");
            }
        }
    }
}

#[test]
fn long_chains_keep_their_first_and_last_steps() {
    let mut text = String::from("role r0\n");
    for i in 1..40 {
        text += &format!("role r{i} {{ member of r{} }}\n", i - 1);
    }
    let (m, a) = analysis(&text, 16);
    let shown = |from: usize, to: usize| (to..=from).rev().map(|i| format!("r{i}")).collect::<Vec<_>>().join(">");
    // Up to the bound, in full.
    assert_eq!(path(&a, "r12", "r0", Mode::Member), shown(12, 0));
    // Beyond it, the first and last steps, with the number left out.
    assert_eq!(path(&a, "r13", "r0", Mode::Member), format!("{}>~1~>{}", shown(13, 7), shown(6, 0)));
    assert_eq!(path(&a, "r39", "r0", Mode::Usage), format!("{}>~27~>{}", shown(39, 33), shown(6, 0)));
    assert_eq!(path(&a, "r39", "r20", Mode::Set), format!("{}>~7~>{}", shown(39, 33), shown(26, 20)));
    let Some(Chain::Memberships(steps)) = a.answer("r39", "r0", Mode::Member) else { panic!() };
    assert_eq!((steps.len(), steps.shown().len()), (39, LONGEST_SHOWN_CHAIN));
    for s in steps.shown() {
        let ms = &m.memberships[s.membership];
        assert_eq!((&ms.member, &ms.role), (&s.member, &s.role));
    }
    assert_eq!(steps.path("r39", |n| format!("`{n}`")).split(" → ").nth(7), Some("… 27 more …"));
    // Written into one string, the path is the list of its names joined, elided or not.
    for (role, granted) in [("r39", "r0"), ("r13", "r0"), ("r12", "r0"), ("r3", "r1")] {
        let Some(Chain::Memberships(steps)) = a.answer(role, granted, Mode::Member) else { panic!() };
        let (before, after) = steps.parts();
        let mut names: Vec<String> =
            std::iter::once(role).chain(before.iter().map(|s| s.role.as_str())).map(|n| format!("`{n}`")).collect();
        if let Some(resumed) = after.first() {
            names.push(format!("… {} more …", thousands(steps.left_out())));
            names.extend(
                std::iter::once(resumed.member.as_str())
                    .chain(after.iter().map(|s| s.role.as_str()))
                    .map(|n| format!("`{n}`")),
            );
        }
        assert_eq!(steps.quoted_path(role), names.join(" → "));
        assert_eq!(steps.path(role, |n| format!("`{n}`")), names.join(" → "));
    }
    assert_eq!(thousands(19_987), "19,987");
    assert_eq!(thousands(987), "987");
    assert_eq!(thousands(1_000_000), "1,000,000");
    reaching_answers_as_answer(&a);
}

#[test]
fn one_search_over_reversed_memberships_answers_as_one_per_role() {
    for version in [15, 16] {
        let (_, a) = analysis(CHAIN, version);
        reaching_answers_as_answer(&a);
        let text = "role a\nrole b\nrole c { member of a\n member of b noset }\nrole d { member of b, a }\nuser boss { superuser }\nuser u { member of c, d }\nexternal role ext\nrole e { noinherit\n member of ext, c }\n";
        let text = if version < 16 { text.replace(" noset", "") } else { text.to_string() };
        let (_, a) = analysis(&text, version);
        reaching_answers_as_answer(&a);
    }
    // Many chains of the same length: the same one is chosen.
    let mut text = String::new();
    for l in 0..20 {
        for i in 0..6 {
            text.push_str(&format!("role r{l}_{i}"));
            if l > 0 {
                text.push_str(&format!(" {{ member of r{}_{}, r{}_{i} }}", l - 1, (i + 1) % 6, l - 1));
            }
            text.push('\n');
        }
    }
    let (_, a) = analysis(&text, 16);
    reaching_answers_as_answer(&a);
    // Asked of the part of the graph some roles reach, from other roles: none.
    let m = model(CHAIN, 16);
    let graph = MembershipGraph::of(&m, 16);
    let (part, _) = graph.restricted(&graph.shape().role_nodes(1..2));
    reaching_answers_as_answer(&reach_from_roles(&part));
}

#[test]
fn tracked_query_follows_the_target_version() {
    let mut ws = Workspace::load(
        Sources::Memory(vec![("t.role".into(), CHAIN.into())]),
        BuildOptions { target_version: 15, ..Default::default() },
    )
    .unwrap();
    let a = crate::db::membership_analysis(&ws.db, ws.policy);
    assert_eq!(a.target_version, 15);
    assert!(a.set.is_none());
    ws.set_options(BuildOptions { target_version: 17, ..Default::default() });
    let a = crate::db::membership_analysis(&ws.db, ws.policy);
    assert_eq!(a.target_version, 17);
    assert_eq!(path(a, "u", "a", Mode::Set), "u>c>b>a");
    let plain: &MembershipAnalysis = a;
    assert!(serde_json::to_string(plain).unwrap().contains("\"usage\""));
}

/// The answers over the part of the graph a role reaches are those over the whole graph,
/// chains included, for every role and mode.
#[test]
fn the_part_a_role_reaches_answers_as_the_whole_graph() {
    let policy = "external role ext\nrole base {}\nrole admin { superuser }\nrole a { member of base }\nrole b { noinherit\n member of a }\nrole c { member of b, ext }\nrole d { member of c\n member of a until 2000-01-01 }\nrole e { member of d, admin }\nrole f { member of a, b }\nuser u1 { member of e, f }\nuser u2 { member of f }\n";
    for version in [15, 16] {
        let options = crate::model::BuildOptions { target_version: version, at: 1_700_000_000, ..Default::default() };
        let ws =
            crate::db::Workspace::load(crate::db::Sources::Memory(vec![("p.role".into(), policy.into())]), options)
                .expect("loads");
        assert!(!ws.diagnostics().iter().any(|d| d.is_error()), "{:?}", ws.diagnostics());
        let model = &ws.resolved().model;
        let graph = MembershipGraph::of(model, version);
        let whole = reach_graph(&graph);
        assert!(whole.granted_roles("u1", Mode::Member).count() >= 6, "a deep hierarchy");
        for (p, role) in model.roles.iter().enumerate() {
            let (part, _) = graph.restricted(&graph.shape().role_nodes(p..p + 1));
            let seen = reach_from_roles(&part);
            for mode in [Mode::Member, Mode::Usage, Mode::Set] {
                let name = role.name.as_str();
                assert_eq!(
                    seen.granted_roles(name, mode).collect::<Vec<_>>(),
                    whole.granted_roles(name, mode).collect::<Vec<_>>(),
                    "{name} {mode:?} v{version}"
                );
                assert_eq!(seen.is_superuser(name), whole.is_superuser(name));
                for other in whole.roles() {
                    // Chains name memberships by their index in each graph: compare the roles.
                    let chain = |a: &MembershipAnalysis| match a.answer(name, other, mode) {
                        Some(Chain::Memberships(steps)) => {
                            format!("{:?}", steps.shown().iter().map(|s| (&s.member, &s.role)).collect::<Vec<_>>())
                        }
                        other => format!("{other:?}"),
                    };
                    assert_eq!(chain(&seen), chain(&whole), "{name} → {other} {mode:?} v{version}");
                }
            }
        }
    }
}
