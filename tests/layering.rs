//! The layering of `src/lib.rs`, held: every `crate::…` path in a module's code (outside
//! `#[cfg(test)]` code) names a module its row of the table allows.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The table in the documentation of `src/lib.rs`: each module and the modules it may use.
fn layers(lib: &str) -> BTreeMap<String, BTreeSet<String>> {
    let start = lib.find("//! layer          may use").expect("the table of layers in src/lib.rs");
    lib[start..]
        .lines()
        .skip(1)
        .take_while(|l| !l.starts_with("//! ```"))
        .map(|l| {
            let mut words = l.trim_start_matches("//!").split_whitespace();
            let module = words.next().expect("a module").to_string();
            (module, words.filter(|w| *w != "-").map(str::to_string).collect())
        })
        .collect()
}

/// The `.rs` files under `dir`, but those a `#[cfg(test)] mod x;` declares (and their children).
fn code_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    let test_only: BTreeSet<String> = entries
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .flat_map(|p| test_modules(&std::fs::read_to_string(p).unwrap()))
        .collect();
    for p in entries {
        let stem = p.file_stem().unwrap().to_string_lossy().into_owned();
        if test_only.contains(&stem) {
            continue;
        }
        if p.is_dir() {
            code_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// The modules a file declares under `#[cfg(test)]` (`mod tests;` in their own file).
fn test_modules(text: &str) -> Vec<String> {
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    lines
        .windows(2)
        .filter(|w| w[0] == "#[cfg(test)]")
        .filter_map(|w| w[1].strip_prefix("mod ").or_else(|| w[1].strip_prefix("pub mod ")))
        .filter_map(|m| m.strip_suffix(';'))
        .map(str::to_string)
        .collect()
}

/// The modules named by `crate::X` in the code of `text`, up to its first `#[cfg(test)]` (the
/// tests of a file come last), comments apart.
fn used_modules(text: &str) -> BTreeSet<String> {
    let mut used = BTreeSet::new();
    for line in text.lines().take_while(|l| l.trim() != "#[cfg(test)]") {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(i) = rest.find("crate::") {
            rest = &rest[i + "crate::".len()..];
            let name: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            if !name.is_empty() {
                used.insert(name);
            }
        }
    }
    used
}

/// Each file's module (`src/model/resolve/names.rs` → `model`) and what it uses that its row
/// does not allow.
fn violations(src: &Path, layers: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
    let mut files = Vec::new();
    code_files(src, &mut files);
    let mut out = Vec::new();
    for file in files {
        let relative = file.strip_prefix(src).unwrap();
        let top =
            relative.components().next().unwrap().as_os_str().to_string_lossy().trim_end_matches(".rs").to_string();
        if top == "lib" || top == "main" {
            continue;
        }
        let Some(allowed) = layers.get(&top) else {
            out.push(format!("{}: module `{top}` is not in the table of layers", relative.display()));
            continue;
        };
        for used in used_modules(&std::fs::read_to_string(&file).unwrap()) {
            if used != top && !allowed.contains(&used) {
                out.push(format!("{}: `{top}` uses `{used}`", relative.display()));
            }
        }
    }
    out
}

#[test]
fn every_module_uses_only_the_layers_its_row_allows() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let layers = layers(&std::fs::read_to_string(src.join("lib.rs")).unwrap());
    assert!(layers.len() >= 14, "{layers:?}");
    let found = violations(&src, &layers);
    assert!(found.is_empty(), "imports across layers:\n{}", found.join("\n"));
}

/// The check itself: a copy of a small tree where `model` reaches `lower`, a test module
/// reaches anything, and a comment names `crate::cli`.
#[test]
fn an_import_across_layers_is_found() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path();
    std::fs::create_dir_all(src.join("model")).unwrap();
    std::fs::write(src.join("model/mod.rs"), "use crate::syntax::Span;\n// crate::cli\n#[cfg(test)]\nmod tests;\n")
        .unwrap();
    std::fs::write(src.join("model/tests.rs"), "use crate::cli::run;\n").unwrap();
    std::fs::write(src.join("model/resolve.rs"), "fn f() -> String { crate::lower::sql::ident(\"x\") }\n").unwrap();
    let lib = "//! layer          may use\n//! syntax         -\n//! model          syntax\n//! ```\n";
    assert_eq!(violations(src, &layers(lib)), ["model/resolve.rs: `model` uses `lower`"]);
}
