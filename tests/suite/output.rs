//! `build` on disk: byte-identical outputs run after run, and atomic replacement that keeps
//! the previous output whole when a build fails and keeps files the user put there.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

fn cli() -> Command {
    Command::new(env!("CARGO_BIN_EXE_cci-dsl"))
}

/// Every file under `dir`, relative path to bytes.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                out.insert(
                    p.strip_prefix(base).unwrap().display().to_string(),
                    std::fs::read(&p).unwrap(),
                );
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// `cci-dsl build examples/default.cci -o OUT`; true when it succeeded.
fn build_default(out: &Path) -> bool {
    cli()
        .arg("build")
        .arg(default_site())
        .arg("-o")
        .arg(out)
        .status()
        .unwrap()
        .success()
}

fn default_site() -> std::path::PathBuf {
    crate::root().join("examples/default.cci")
}

#[test]
fn two_builds_write_byte_identical_trees() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    for out in [&a, &b] {
        assert!(build_default(out));
    }
    let (ta, tb) = (tree(&a), tree(&b));
    assert!(ta.len() > 10);
    assert_eq!(ta, tb);
    // A rebuild in place changes nothing either.
    assert!(build_default(&a));
    assert_eq!(tree(&a), tb);
}

/// A rebuild replaces only the files whose contents change: the others keep their
/// modification time (Terraform and make see no change), and a file of ours the user edited
/// or deleted is written again.
#[test]
fn a_rebuild_touches_only_the_files_that_change() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    assert!(build_default(&out));
    let mtime = |rel: &str| {
        std::fs::metadata(out.join(rel))
            .unwrap()
            .modified()
            .unwrap()
    };
    let before = mtime("iam/ec2-assume-role.json");
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::write(out.join("ports.md"), "edited by hand").unwrap();
    std::fs::remove_file(out.join("terraform/nomad.tf")).unwrap();
    let reference = tree(&out);
    assert!(build_default(&out));
    let after = tree(&out);
    assert_eq!(
        mtime("iam/ec2-assume-role.json"),
        before,
        "unchanged: not rewritten"
    );
    assert_ne!(
        after["ports.md"], reference["ports.md"],
        "an edited file of ours is rewritten"
    );
    assert!(
        after.contains_key("terraform/nomad.tf"),
        "a deleted file of ours is written again"
    );
    let fresh = tmp.path().join("fresh");
    assert!(build_default(&fresh));
    assert_eq!(after, tree(&fresh));
    assert!(!out.join(".cci-dsl-staging").exists() && !out.join(".cci-dsl-journal").exists());
}

#[test]
fn a_failed_build_leaves_the_previous_output_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    assert!(build_default(&out));
    let before = tree(&out);

    let broken = tmp.path().join("broken.cci");
    let text = std::fs::read_to_string(default_site())
        .unwrap()
        .replace("m4.2xlarge", "m4.2xlarg");
    std::fs::write(&broken, text).unwrap();
    let o = cli()
        .arg("build")
        .arg(&broken)
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("E0207"));
    assert_eq!(tree(&out), before, "the previous output changed");
    // Nothing is left beside it either.
    let leftovers: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers.len(), 2, "{leftovers:?}");
}

#[test]
fn files_the_user_added_survive_a_rebuild() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    assert!(build_default(&out));
    std::fs::create_dir_all(out.join("terraform/.terraform/providers")).unwrap();
    std::fs::write(out.join("terraform/.terraform/providers/marker"), "x").unwrap();
    std::fs::write(out.join("terraform/terraform.tfstate"), "{\"state\":1}").unwrap();
    assert!(build_default(&out));
    assert_eq!(
        std::fs::read_to_string(out.join("terraform/terraform.tfstate")).unwrap(),
        "{\"state\":1}"
    );
    assert!(out.join("terraform/.terraform/providers/marker").exists());
    assert!(out.join("terraform/versions.tf").exists());
}

#[test]
fn a_directory_not_written_by_cci_dsl_is_not_replaced() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("precious");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    let o = cli()
        .arg("build")
        .arg(default_site())
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not written by cci-dsl"));
    assert_eq!(
        std::fs::read_to_string(out.join("notes.txt")).unwrap(),
        "mine"
    );
    assert_eq!(tree(&out).len(), 1);
}

#[test]
fn an_unwritable_target_is_an_io_error_and_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    let o = cli()
        .arg("build")
        .arg(default_site())
        .arg("-o")
        .arg(file.join("out"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "x");
}

/// Every value reaches a template through a helper for its target syntax (HCL, Markdown,
/// comments, names, numbers, expressions the emitter built); none is interpolated raw.
#[test]
fn templates_interpolate_only_through_escaping_helpers() {
    let helpers: Vec<&str> = cci_core::emit::HELPERS
        .iter()
        .map(|(name, _)| *name)
        .chain(["indent"])
        .collect();
    let (mut seen, mut raw) = (0, Vec::new());
    for (p, text) in crate::files_under("stdlib/templates") {
        for (i, _) in text.match_indices("{{") {
            let rest = &text[i + 2..];
            let inner = &rest[..rest.find("}}").unwrap_or(rest.len())];
            let word = inner.split_whitespace().next().unwrap_or("");
            let structural = inner.starts_with(['#', '/', '!', '{']) && !inner.starts_with('{')
                || word == "else";
            seen += 1;
            if inner.starts_with('{') || !(structural || helpers.contains(&word)) {
                raw.push(format!("{}: {{{{{inner}}}}}", p.display()));
            }
        }
    }
    assert!(seen > 150, "only {seen} interpolations read");
    assert!(raw.is_empty(), "raw interpolations:\n{}", raw.join("\n"));
}

/// ARCHITECTURE.md's first invariant: the libraries touch no file; only the CLI (`src/`, the
/// `cci-dsl` binary), the core's `output/` (the atomic write and the file-system policy) and
/// the language server's loop (`cci-ide`'s `server.rs`) do.
#[test]
fn only_the_cli_and_the_output_stage_touch_the_file_system() {
    let mut offenders = Vec::new();
    for (p, text) in crate::files_under("crates") {
        let name = p.strip_prefix(crate::root()).unwrap().display().to_string();
        if name == "crates/cci-ide/src/server.rs"
            || name.starts_with("crates/cci-core/src/output/")
            || !name.ends_with(".rs")
        {
            continue;
        }
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            let io = [
                "std::fs",
                "fs::",
                "File::",
                "std::io::stdin",
                "std::env::var",
            ]
            .iter()
            .any(|pattern| {
                code.match_indices(pattern).any(|(i, _)| {
                    !code[..i].ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
                })
            });
            if io {
                offenders.push(format!("{name}:{}: {}", n + 1, line.trim()));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "I/O in the library:\n{}",
        offenders.join("\n")
    );
}

/// A build killed at any step of writing loses nothing: the user's files are never touched,
/// every file cci-dsl wrote is whole (the old version or the new one), and the next build
/// completes the job. `CCI_DSL_FAULT_AFTER=K` aborts the process after the K-th step.
#[test]
fn a_build_killed_at_any_step_loses_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    assert!(build_default(&out));
    let old = tree(&out);
    let user: Vec<(&str, &str)> = vec![
        ("terraform/terraform.tfstate", "{\"serial\": 7}"),
        ("terraform/.terraform/providers/marker", "provider"),
        ("notes.md", "my notes"),
    ];
    for (rel, text) in &user {
        std::fs::create_dir_all(out.join(rel).parent().unwrap()).unwrap();
        std::fs::write(out.join(rel), text).unwrap();
    }
    // The next build writes different files (another site).
    let other = crate::root().join("examples/externalized.cci");
    let new_out = tmp.path().join("reference");
    assert!(cli()
        .arg("build")
        .arg(&other)
        .arg("-o")
        .arg(&new_out)
        .status()
        .unwrap()
        .success());
    let new = tree(&new_out);

    let mut killed = 0;
    for k in 1.. {
        let status = cli()
            .arg("build")
            .arg(&other)
            .arg("-o")
            .arg(&out)
            .env("CCI_DSL_FAULT_AFTER", k.to_string())
            .status()
            .unwrap();
        let now = tree(&out);
        for (rel, text) in &user {
            assert_eq!(
                now.get(*rel).map(Vec::as_slice),
                Some(text.as_bytes()),
                "step {k}: {rel}"
            );
        }
        for (rel, bytes) in &now {
            if rel.starts_with(".cci-dsl-staging")
                || rel == ".cci-dsl-journal"
                || user.iter().any(|(u, _)| u == rel)
            {
                continue;
            }
            assert!(
                old.get(rel) == Some(bytes) || new.get(rel) == Some(bytes),
                "step {k}: {rel} is neither its old nor its new version"
            );
        }
        if status.success() {
            break;
        }
        killed += 1;
        // The next build completes the interrupted one.
        let o = cli()
            .arg("build")
            .arg(&other)
            .arg("-o")
            .arg(&out)
            .output()
            .unwrap();
        assert!(o.status.success());
        let mut expected = new.clone();
        for (rel, text) in &user {
            expected.insert(rel.to_string(), text.as_bytes().to_vec());
        }
        assert_eq!(
            tree(&out),
            expected,
            "step {k}: the build after the interrupted one"
        );
        // Back to the old output for the next step.
        assert!(build_default(&out));
    }
    assert!(killed > 20, "only {killed} steps interrupted");
}

/// Every file a build writes is of a kind a later build may delete when it no longer writes
/// it (`output::is_our_kind`): the list of endings there covers every output of every example.
#[test]
fn every_output_is_of_a_kind_the_manifest_may_remove() {
    for site in crate::examples() {
        let b = crate::build_file_as_written(&site);
        for rel in b.outputs.expect("the example builds").files.keys() {
            assert!(
                cci_core::output::is_our_kind(rel),
                "{rel} of {}",
                site.display()
            );
        }
    }
}

/// `build --check` answers CI's question (is the committed `out/` what the site compiles
/// to?) without writing; `build` says what it changed.
#[test]
fn build_check_names_what_differs_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let site = tmp.path().join("site.cci");
    let out = tmp.path().join("out");
    let text = std::fs::read_to_string(default_site()).unwrap();
    std::fs::write(&site, &text).unwrap();
    let run = |args: &[&str]| {
        let o = cli().args(args).current_dir(tmp.path()).output().unwrap();
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    // Nothing built yet: every file is missing, and nothing is written.
    let (code, _, err) = run(&["build", "site.cci", "-o", "out", "--check"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("out/ports.md is missing"), "{err}");
    assert!(!out.exists());

    let (code, _, err) = run(&["build", "site.cci", "-o", "out"]);
    assert_eq!(code, Some(0));
    assert!(err.contains("0 unchanged"), "{err}");
    let (code, _, err) = run(&["build", "site.cci", "-o", "out", "--check"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("is what site.cci compiles to"), "{err}");
    let (_, _, err) = run(&["build", "site.cci", "-o", "out"]);
    assert!(err.contains("up to date"), "{err}");

    // One fleet larger: one file differs, and --diff shows the line.
    std::fs::write(&site, text.replace("1..5", "1..6")).unwrap();
    let before = tree(&out);
    let (code, diff, err) = run(&["build", "site.cci", "-o", "out", "--check", "--diff"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("out/terraform/nomad.tf differs"), "{err}");
    assert!(
        diff.contains("-  max_size         = 5") && diff.contains("+  max_size         = 6"),
        "{diff}"
    );
    assert_eq!(tree(&out), before, "--check wrote something");
    let (code, _, err) = run(&["build", "site.cci", "-o", "out"]);
    assert_eq!(code, Some(0));
    assert!(err.contains("1 changed (terraform/nomad.tf)"), "{err}");

    // A file the site no longer writes is stale.
    std::fs::write(
        &site,
        text.replace(
            "  disk     = 100 GiB\n}\n\nfleet",
            "  disk     = 100 GiB\n  backup {\n    every = 24\n    keep  = 14\n  }\n}\n\nfleet",
        ),
    )
    .unwrap();
    assert_eq!(run(&["build", "site.cci", "-o", "out"]).0, Some(0));
    std::fs::write(&site, &text).unwrap();
    let (code, _, err) = run(&["build", "site.cci", "-o", "out", "--check"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("iam/dlm-assume-role.json is stale"), "{err}");
}

/// `PATH` with a `dot` first that draws something else: a build must not use it.
fn path_with_a_fake_dot(dir: &Path) -> String {
    use std::os::unix::fs::PermissionsExt as _;
    let bin = dir.join("bin");
    std::fs::create_dir(&bin).unwrap();
    let fake = bin.join("dot");
    std::fs::write(&fake, "#!/bin/sh\necho '<svg>not ours</svg>'\n").unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// The network view is an output like the others: `build` writes `graph/network.{dot,mmd,svg}`
/// (the SVG the same bytes as `graph --format svg --view network`, drawn by the built-in
/// writer even when a `dot` is on PATH), lists them in the manifest with their checksums (so
/// a later build deletes them only while they hold what it wrote), and `build --check`
/// reports them missing, edited, or changed by the site.
#[test]
fn build_writes_the_network_view_and_checks_it_like_the_other_outputs() {
    let tmp = tempfile::tempdir().unwrap();
    let site = tmp.path().join("site.cci");
    let out = tmp.path().join("out");
    let text = std::fs::read_to_string(default_site()).unwrap();
    std::fs::write(&site, &text).unwrap();
    let path = path_with_a_fake_dot(tmp.path());
    let run = |args: &[&str]| {
        let o = cli()
            .args(args)
            .current_dir(tmp.path())
            .env("PATH", &path)
            .output()
            .unwrap();
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let (code, err) = run(&["build", "site.cci", "-o", "out"]);
    assert_eq!(code, Some(0), "{err}");
    let files = tree(&out);
    let drawn = cli()
        .args(["graph", "--format", "svg", "--view", "network", "site.cci"])
        .current_dir(tmp.path())
        .output()
        .unwrap();
    assert_eq!(
        files["graph/network.svg"], drawn.stdout,
        "build's SVG is graph's"
    );
    assert!(String::from_utf8_lossy(&drawn.stdout).contains(">10.10.0.0/24</text>"));
    let manifest = String::from_utf8_lossy(&files[".cci-dsl-manifest"]).into_owned();
    for rel in [
        "graph/network.dot",
        "graph/network.mmd",
        "graph/network.svg",
    ] {
        let listed = manifest
            .lines()
            .find(|l| l.ends_with(&format!("  {rel}")))
            .unwrap_or_else(|| panic!("{rel} not in the manifest:\n{manifest}"));
        assert_eq!(
            listed.split_whitespace().next().unwrap().len(),
            64,
            "{listed}"
        );
    }

    // Edited by hand, and deleted: --check says so; build puts them back.
    std::fs::write(out.join("graph/network.svg"), "<svg/>").unwrap();
    std::fs::remove_file(out.join("graph/network.mmd")).unwrap();
    let (code, err) = run(&["build", "site.cci", "-o", "out", "--check"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("out/graph/network.svg differs"), "{err}");
    assert!(err.contains("out/graph/network.mmd is missing"), "{err}");
    assert!(err.contains("2 differ, 0 stale"), "{err}");
    let (code, err) = run(&["build", "site.cci", "-o", "out"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        err.contains("2 changed (graph/network.mmd, graph/network.svg)"),
        "{err}"
    );
    assert_eq!(tree(&out), files);

    // A new flow changes the three pictures with the port matrix and the rules.
    std::fs::write(
        &site,
        format!("{text}\nallow tcp 9100 from 10.20.0.0/16 to nomad \"node exporter\"\n"),
    )
    .unwrap();
    let (code, err) = run(&["build", "site.cci", "-o", "out", "--check"]);
    assert_eq!(code, Some(1), "{err}");
    for rel in [
        "graph/network.dot",
        "graph/network.mmd",
        "graph/network.svg",
    ] {
        assert!(err.contains(&format!("out/{rel} differs")), "{rel}: {err}");
    }
    let (code, _) = run(&["build", "site.cci", "-o", "out"]);
    assert_eq!(code, Some(0));
    let svg = String::from_utf8(tree(&out)["graph/network.svg"].clone()).unwrap();
    assert!(svg.contains("data-id=\"10.20.0.0/16\"") && svg.contains(">9100/tcp</text>"));
}
