//! The roles of a policy in chunks: consecutive roles of one file, [`CHUNK`] at a time, each
//! with the grants made to it. One salsa query per chunk keeps the number of queries small
//! and an edit re-runs the checks of the chunks it touches.

use std::sync::Arc;

use crate::model::{Model, ObjectGrant, Role};
use crate::syntax::FileId;

/// One role of the policy and the grants made to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleFacts {
    pub role: Arc<Role>,
    pub grants: Vec<Arc<ObjectGrant>>,
}

/// Consecutive roles of the model, checked together (one salsa query per chunk keeps the
/// number of queries small; a chunk's roles are usually declared in the same file).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RoleChunk {
    pub roles: Vec<RoleFacts>,
}

impl Drop for RoleChunk {
    fn drop(&mut self) {
        // Old chunks hold the last references to the grants of the previous revision.
        if !self.roles.is_empty() {
            crate::drop_elsewhere::drop_elsewhere(std::mem::take(&mut self.roles));
        }
    }
}

/// How many roles one chunk holds.
pub const CHUNK: usize = 32;

/// The roles at `positions` of the model (one chunk, see [`ChunkRanges`]), each with the
/// grants made to it.
pub fn chunk(model: &Model, grants_of: &[Vec<u32>], positions: std::ops::Range<usize>) -> RoleChunk {
    let roles = model.roles.iter().zip(grants_of).skip(positions.start).take(positions.len());
    RoleChunk {
        roles: roles
            .map(|(r, grants)| RoleFacts {
                role: r.clone(),
                grants: grants.iter().map(|&k| model.grants[k as usize].clone()).collect(),
            })
            .collect(),
    }
}

/// The chunks of a model: its roles in declaration order, [`CHUNK`] at a time, a chunk never
/// holding roles of two files, so that adding a role to one file leaves the chunks of the
/// other files as they were (only their positions move).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChunkRanges {
    /// The position of the first role of each chunk.
    starts: Vec<u32>,
    roles: u32,
}

impl ChunkRanges {
    pub fn of(model: &Model) -> ChunkRanges {
        let mut starts = Vec::new();
        let mut last: Option<(FileId, usize)> = None;
        for (p, role) in model.roles.iter().enumerate() {
            let file = role.origin.file;
            match last {
                Some((f, start)) if f == file && p - start < CHUNK => {}
                _ => {
                    starts.push(p as u32);
                    last = Some((file, p));
                }
            }
        }
        ChunkRanges { starts, roles: model.roles.len() as u32 }
    }

    pub fn count(&self) -> u32 {
        self.starts.len() as u32
    }

    /// The positions of the roles of chunk `c` (empty past the last chunk).
    pub fn range(&self, c: u32) -> std::ops::Range<usize> {
        let Some(&start) = self.starts.get(c as usize) else { return 0..0 };
        let end = self.starts.get(c as usize + 1).copied().unwrap_or(self.roles);
        start as usize..end as usize
    }

    /// `(chunk, position in the chunk)` of the role at position `p`.
    pub fn slot(&self, p: u32) -> (u32, u32) {
        let c = self.starts.partition_point(|&s| s <= p).saturating_sub(1);
        (c as u32, p - self.starts.get(c).copied().unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::{Sources, Workspace};
    use crate::model::BuildOptions;

    /// The model of files `a.role` with `a` roles and `b.role` with `b`.
    fn model(a: usize, b: usize) -> Model {
        let roles = |prefix: &str, n: usize| (0..n).map(|i| format!("role {prefix}{i} {{}}\n")).collect::<String>();
        let files = vec![("a.role".into(), roles("a", a)), ("b.role".into(), roles("b", b))];
        Workspace::load(Sources::Memory(files), BuildOptions::default()).unwrap().resolved().model.clone()
    }

    #[test]
    fn chunks_hold_at_most_chunk_roles_of_one_file() {
        let ranges = ChunkRanges::of(&model(70, 3));
        let chunks: Vec<std::ops::Range<usize>> = (0..ranges.count()).map(|c| ranges.range(c)).collect();
        assert_eq!(chunks, [0..32, 32..64, 64..70, 70..73]);
        assert_eq!(ranges.range(ranges.count()), 0..0, "past the last chunk");
        for (c, range) in chunks.iter().enumerate() {
            for (i, p) in range.clone().enumerate() {
                assert_eq!(ranges.slot(p as u32), (c as u32, i as u32));
            }
        }
    }

    #[test]
    fn no_roles_no_chunks() {
        let ranges = ChunkRanges::of(&Model::default());
        assert_eq!(ranges.count(), 0);
        assert_eq!(ranges.range(0), 0..0);
    }
}
