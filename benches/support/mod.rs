//! What the benchmarks share: a deterministic random generator and the generated policy.

pub mod policy;
pub mod rng;
