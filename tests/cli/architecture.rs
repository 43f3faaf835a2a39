//! The floors of ARCHITECTURE.md, checked: every folder under `src/` names only the folders
//! below it (`crate::NAME`, in a `use` or a path). A new folder gets a row here and in
//! ARCHITECTURE.md.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Each module of the crate and what it may name besides itself.
const FLOORS: &[(&str, &[&str])] = &[
    ("api", &[]),
    ("files", &[]),
    ("config", &["api", "files"]),
    ("when", &["api", "files"]),
    ("diff", &["api", "files"]),
    ("emulator", &["api", "files"]),
    ("mirror", &["api", "files", "config", "when", "diff"]),
    (
        "import",
        &["api", "files", "config", "when", "diff", "mirror"],
    ),
    (
        "batch",
        &["api", "files", "config", "when", "diff", "mirror"],
    ),
    (
        "health",
        &["api", "files", "config", "when", "diff", "mirror"],
    ),
    (
        "tui",
        &[
            "api", "files", "config", "when", "diff", "emulator", "mirror", "import", "batch",
            "health",
        ],
    ),
    (
        "cli",
        &[
            "api", "files", "config", "when", "diff", "emulator", "mirror", "import", "batch",
            "health", "tui",
        ],
    ),
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The crate's modules a file names: `crate::NAME` and `use crate::{NAME, ...}`.
fn named_modules(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = text;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for part in group[..end].split(',') {
                let name: String = part
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    out.insert(name);
                }
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            out.insert(name);
        }
    }
    out
}

#[test]
fn every_folder_names_only_the_floors_below_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let known: BTreeSet<&str> = FLOORS.iter().map(|(m, _)| *m).collect();
    let mut wrong = Vec::new();
    for (module, allowed) in FLOORS {
        let mut files = Vec::new();
        rust_files(&src.join(module), &mut files);
        let single = src.join(format!("{module}.rs"));
        if single.exists() {
            files.push(single);
        }
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap_or_default();
            for name in named_modules(&text) {
                if name == *module || !known.contains(name.as_str()) {
                    continue;
                }
                if !allowed.contains(&name.as_str()) {
                    wrong.push(format!("{} names crate::{name}", file.display()));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports against the floors:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn every_folder_of_src_has_a_floor() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let known: BTreeSet<&str> = FLOORS.iter().map(|(m, _)| *m).collect();
    let mut missing = Vec::new();
    for e in std::fs::read_dir(&src).expect("src").flatten() {
        let p = e.path();
        let Some(stem) = p.file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        if matches!(stem, "lib" | "main") {
            continue;
        }
        if !known.contains(stem) {
            missing.push(stem.to_string());
        }
    }
    assert!(missing.is_empty(), "modules with no floor: {missing:?}");
}

#[test]
fn the_check_reads_grouped_and_plain_paths() {
    let names = named_modules("use crate::{api::Client, config};\nlet x = crate::cli::exit::OK;");
    assert_eq!(
        names.into_iter().collect::<Vec<_>>(),
        vec!["api".to_string(), "cli".into(), "config".into()]
    );
}
