//! `memberships deeper than N` (W034, always a warning): no role in scope has a chain of
//! memberships longer than N.

use crate::analysis::membership::{Step, Steps};
use std::collections::HashMap;
use std::sync::Arc;

use crate::analysis::rules::{chain_text, step_label};
use crate::diagnostics::{Code, Diagnostic};
use crate::model::{Membership, Policy, PolicyRule, Role};

/// The longest chain of active memberships from each role (a longest path in the membership
/// graph). The graph is acyclic once the policy resolves without errors; a cycle (E006,
/// reported elsewhere) is cut where the search meets it, so this never loops.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Depths {
    index: HashMap<String, usize>,
    /// Per node: length of its longest chain, and the membership of its first step.
    best: Vec<(usize, Option<usize>)>,
}

impl Depths {
    pub fn new(memberships: &[Arc<Membership>]) -> Self {
        let mut index: HashMap<String, usize> = HashMap::new();
        for m in memberships {
            for n in [&m.member, &m.role] {
                let next = index.len();
                if !index.contains_key(n.as_str()) {
                    index.insert(n.clone(), next);
                }
            }
        }
        let mut adj: Vec<Vec<(usize, usize)>> = vec![Vec::new(); index.len()];
        for (k, m) in memberships.iter().enumerate() {
            if m.active {
                adj[index[m.member.as_str()]].push((index[m.role.as_str()], k));
            }
        }
        // Iterative depth-first search (no recursion: chains may be long in generated
        // policies). 0 = not seen, 1 = on the stack, 2 = done.
        let mut state = vec![0u8; index.len()];
        let mut best = vec![(0, None); index.len()];
        for start in 0..index.len() {
            if state[start] != 0 {
                continue;
            }
            state[start] = 1;
            let mut stack = vec![(start, 0usize)];
            while let Some(top) = stack.last_mut() {
                let (n, pos) = *top;
                if let Some(&(t, _)) = adj[n].get(pos) {
                    top.1 += 1;
                    if state[t] == 0 {
                        state[t] = 1;
                        stack.push((t, 0));
                    }
                    continue;
                }
                // Children on the stack (state 1) close a cycle: not followed.
                let mut b: (usize, Option<usize>) = (0, None);
                for &(t, k) in &adj[n] {
                    if state[t] == 2 && best[t].0 + 1 > b.0 {
                        b = (best[t].0 + 1, Some(k));
                    }
                }
                best[n] = b;
                state[n] = 2;
                stack.pop();
            }
        }
        Depths { index, best }
    }

    /// The number of memberships of [`Self::longest_chain`], without building it (most roles
    /// are within the limit).
    pub fn depth(&self, role: &str) -> usize {
        self.index.get(role).map_or(0, |&n| self.best[n].0)
    }

    /// A longest chain of memberships starting at `role` (empty when it is a member of none).
    pub fn longest_chain(&self, memberships: &[Arc<Membership>], role: &str) -> Vec<Step> {
        let mut steps = Vec::new();
        let Some(&(mut n)) = self.index.get(role) else { return steps };
        while let Some(k) = self.best[n].1 {
            let m = &memberships[k];
            steps.push(Step { member: m.member.clone(), role: m.role.clone(), membership: k });
            n = self.index[m.role.as_str()];
            if steps.len() > self.best.len() {
                break; // defensive: never longer than the number of roles
            }
        }
        steps
    }
}

pub fn deep_memberships(
    memberships: &[Arc<Membership>],
    policy: &Policy,
    rule: &PolicyRule,
    role: &Role,
    chain: &[Step],
    max: u64,
) -> Diagnostic {
    let mut d = Diagnostic::new(
        Code::DeepMemberships,
        role.origin,
        format!(
            "`{}` is {} memberships deep, more than the {max} policy `{}` allows",
            role.name,
            chain.len(),
            policy.name
        ),
    )
    .label("the chain starts here");
    for s in chain {
        d = d.with_secondary(memberships[s.membership].origin, step_label(s));
    }
    d.with_secondary(rule.origin, "limit set here").help(format!(
        "the chain: {}; a flatter hierarchy is easier to review",
        chain_text(&role.name, &Steps::full(chain.to_vec()))
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Membership, Model};
    use crate::syntax::{FileId, Span};

    fn span() -> Span {
        Span { file: FileId(0), item: 0, start: 0, end: 0 }
    }

    fn membership(member: &str, role: &str) -> Arc<Membership> {
        Arc::new(Membership {
            role: role.into(),
            member: member.into(),
            admin: false,
            inherit: None,
            set: None,
            from: None,
            until: None,
            active: true,
            duration: None,
            reason: None,
            origin: span(),
        })
    }

    #[test]
    fn depth_is_defensive_about_cycles() {
        // A cycle a → b → a (E006 elsewhere) with c → a and d → c: the search ends.
        let model = Model {
            memberships: vec![membership("a", "b"), membership("b", "a"), membership("c", "a"), membership("d", "c")],
            ..Model::default()
        };
        let depths = Depths::new(&model.memberships);
        for r in ["a", "b", "c", "d"] {
            let chain = depths.longest_chain(&model.memberships, r);
            assert!(chain.len() <= 4, "{r}: {chain:?}");
            // The check skips building the chain of a role within the limit by this length.
            assert_eq!(depths.depth(r), chain.len(), "{r}");
            for w in chain.windows(2) {
                assert_eq!(w[0].role, w[1].member);
            }
        }
        assert_eq!(depths.longest_chain(&model.memberships, "d").len(), 3, "d → c → a → b, where the cycle is cut");
        assert!(depths.longest_chain(&model.memberships, "unknown").is_empty());
    }
    #[test]
    fn depth_follows_the_longest_chain_and_active_memberships() {
        let mut model = Model {
            memberships: vec![membership("u", "x"), membership("u", "a"), membership("a", "b"), membership("b", "c")],
            ..Model::default()
        };
        let chain: Vec<String> = Depths::new(&model.memberships)
            .longest_chain(&model.memberships, "u")
            .into_iter()
            .map(|s| s.role)
            .collect();
        assert_eq!(chain, ["a", "b", "c"]);
        Arc::make_mut(&mut model.memberships[2]).active = false;
        assert_eq!(Depths::new(&model.memberships).longest_chain(&model.memberships, "u").len(), 1);
    }
}
