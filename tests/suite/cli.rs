//! The binary: exit codes (0 ok, 1 diagnostics, 2 usage or I/O), help, explain, graph.

use std::process::Command;

fn cli() -> Command {
    Command::new(env!("CARGO_BIN_EXE_cci-dsl"))
}

#[test]
fn exit_codes() {
    let site = crate::root().join("examples/default.cci");
    assert_eq!(
        cli().arg("check").arg(&site).status().unwrap().code(),
        Some(0)
    );
    let bad = crate::root().join("tests/fixtures/resolve/unknown-block.cci");
    assert_eq!(
        cli().arg("check").arg(&bad).status().unwrap().code(),
        Some(1)
    );
    assert_eq!(
        cli()
            .arg("check")
            .arg("/nonexistent.cci")
            .output()
            .unwrap()
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        cli().arg("frobnicate").output().unwrap().status.code(),
        Some(2)
    );
    assert_eq!(cli().output().unwrap().status.code(), Some(2));
}

#[test]
fn help_lists_every_command() {
    let o = cli().arg("--help").output().unwrap();
    assert!(o.status.success());
    let help = String::from_utf8(o.stdout).unwrap();
    for cmd in [
        "build",
        "check",
        "plan",
        "graph",
        "explain",
        "init",
        "completions",
        "man",
    ] {
        assert!(help.contains(cmd), "{cmd} missing from --help");
    }
    assert!(help.contains("Exit status"));
}

#[test]
fn explain_prints_the_long_form() {
    let o = cli().args(["explain", "E0405"]).output().unwrap();
    assert!(o.status.success());
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text.starts_with("E0405: services machine too small"));
    assert_eq!(
        cli()
            .args(["explain", "E9999"])
            .output()
            .unwrap()
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn json_diagnostics_are_one_object_per_line() {
    let bad = crate::root().join("tests/fixtures/check/nomad-too-small.cci");
    let o = cli()
        .args(["--message-format", "json", "check"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let text = String::from_utf8(o.stdout).unwrap();
    let codes: Vec<String> = text
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v["type"] == "diagnostic")
        .map(|v| v["code"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(codes, ["E0401", "E0402", "W0416"]);
}

#[test]
fn graph_formats() {
    let site = crate::root().join("examples/default.cci");
    for (format, marker) in [
        ("dot", "digraph"),
        ("mermaid", "flowchart LR"),
        ("json", "\"edges\""),
    ] {
        let o = cli()
            .args(["graph", "--format", format])
            .arg(&site)
            .output()
            .unwrap();
        assert!(o.status.success(), "{format}");
        assert!(
            String::from_utf8(o.stdout).unwrap().contains(marker),
            "{format}"
        );
    }
}

/// `init` without answers writes the default site with a `# TODO(cci-dsl)` beside each value
/// only the operator can give; `check` refuses it (E0108, once per TODO) until each is decided,
/// and then it checks. `init` refuses to overwrite.
#[test]
fn init_leaves_decisions_that_check_refuses_until_made() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("prod.cci");
    assert!(cli().arg("init").arg(&p).status().unwrap().success());
    let written = std::fs::read_to_string(&p).unwrap();
    assert!(
        written.contains("site \"prod\""),
        "named after its file:\n{written}"
    );
    let o = cli()
        .args(["check", "--color", "never"])
        .arg(&p)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&o.stderr);
    // region, vpc, subnet, ssh_key, users, admins
    assert_eq!(stderr.matches("E0108").count(), 6, "{stderr}");
    assert!(stderr.contains("your VPC's id (`init --vpc`)"), "{stderr}");
    assert!(
        stderr.contains("the address ranges `admins` connect from"),
        "{stderr}"
    );
    let decided = tmp.path().join("decided.cci");
    std::fs::write(&decided, crate::import::decided(&written)).unwrap();
    assert_eq!(
        cli().arg("check").arg(&decided).status().unwrap().code(),
        Some(0)
    );
    assert_eq!(
        cli().arg("init").arg(&p).output().unwrap().status.code(),
        Some(2)
    );
}

/// With `--region --vpc --subnet --ssh-key` the AWS settings are the operator's, and only who
/// connects is left to decide; a mistyped answer is refused before anything is written.
#[test]
fn init_writes_the_answers_and_refuses_wrong_ones() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("site.cci");
    let args = [
        "--region",
        "eu-west-1",
        "--vpc",
        "vpc-1234abcd",
        "--subnet",
        "subnet-1111aaaa",
        "--subnet",
        "subnet-2222bbbb",
        "--ssh-key",
        "deploy",
        "--name",
        "ci-eu",
    ];
    let o = cli().arg("init").arg(&p).args(args).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let written = std::fs::read_to_string(&p).unwrap();
    for want in [
        "site \"ci-eu\"",
        "region  = \"eu-west-1\"",
        "vpc     = vpc-1234abcd",
        "subnet  = [subnet-1111aaaa, subnet-2222bbbb]",
        "ssh_key = \"deploy\"",
    ] {
        assert!(written.contains(want), "{want}:\n{written}");
    }
    assert_eq!(written.matches("# TODO(cci-dsl)").count(), 2, "{written}");
    let fmt = cli().args(["fmt", "--check"]).arg(&p).status().unwrap();
    assert_eq!(fmt.code(), Some(0), "init writes the formatted layout");
    let o = cli()
        .args(["check", "--color", "never"])
        .arg(&p)
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&o.stderr).matches("E0108").count(),
        2
    );

    let bad = tmp.path().join("bad.cci");
    let o = cli()
        .arg("init")
        .arg(&bad)
        .args(["--region", "mars-north-1", "--vpc", "vpc-zz"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("E0305") && stderr.contains("mars-north-1"),
        "{stderr}"
    );
    assert!(
        stderr.contains("E0304") && stderr.contains("vpc-zz"),
        "{stderr}"
    );
    assert!(!bad.exists(), "nothing written for wrong answers");
}

/// A credential typed as an answer to `init` is refused and never echoed: the answers' errors
/// are masked as every diagnostic is.
#[test]
fn init_never_echoes_a_credential_given_as_an_answer() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("site.cci");
    let o = cli()
        .arg("init")
        .arg(&p)
        .args(["--vpc", "vpc-AKIAIOSFODNN7EXAMPLE"])
        .args(["--region", "ghp_0123456789abcdefghijABCDEFGHIJ012345"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(all.contains("E0330"), "{all}");
    for secret in [
        "AKIAIOSFODNN7EXAMPLE",
        "ghp_0123456789abcdefghijABCDEFGHIJ012345",
    ] {
        assert!(!all.contains(secret), "{secret} echoed:\n{all}");
    }
    assert!(!p.exists());
}

/// A secret written by mistake (as the passphrase, under a misspelled key, an access key, a
/// PEM block) is never printed, in either message format; `-` reads the site from stdin.
#[test]
fn no_diagnostic_prints_a_secret() {
    let site = std::fs::read_to_string(crate::root().join("examples/default.cci"))
        .unwrap()
        .replace("passphrase         = secret", "passphrase = \"Hunter2Hunter2\"\n  pasphrase = \"Tiger7Tiger7\"")
        .replace(
            "ssh_key = \"ops\"",
            "ssh_key = \"ops\"\n    aws_secret_key = \"wJalrXUtnFEMIK7MDENG\"\n    profile = \"AKIAIOSFODNN7EXAMPLE\"",
        );
    let site = format!("{site}\ntls {{ key = \"\n-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkq\n-----END PRIVATE KEY-----\n");
    for format in ["human", "json"] {
        let mut child = cli()
            .args(["check", "--color", "never", "--message-format", format, "-"])
            .stdin(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(site.as_bytes())
            .unwrap();
        let o = child.wait_with_output().unwrap();
        let shown = format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        assert_eq!(o.status.code(), Some(1), "{format}: the site has errors");
        assert!(
            shown.contains("<stdin>"),
            "{format}: read from stdin:\n{shown}"
        );
        for secret in [
            "Hunter2Hunter2",
            "Tiger7Tiger7",
            "wJalrXUtnFEMIK7MDENG",
            "AKIAIOSFODNN7EXAMPLE",
            "MIIEvQIBADANBgkq",
        ] {
            assert!(
                !shown.contains(secret),
                "{format} prints `{secret}`:\n{shown}"
            );
        }
        if format == "human" {
            assert!(
                shown.contains("shown as `****`"),
                "the frame says it hides a value"
            );
        }
    }
}

/// Escape sequences and bidirectional overrides in the input never reach the terminal raw.
#[test]
fn control_characters_in_the_input_are_shown_escaped() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("evil.cci");
    std::fs::write(
        &path,
        "use circleci/2.16\nsite \"a\u{1b}[2Jb\" {\n  \u{1b}]0;pwned\u{7} = 1\n  x\u{202e}y = 2\n}\n",
    )
    .unwrap();
    for format in ["human", "json"] {
        let o = cli()
            .args(["check", "--color", "never", "--message-format", format])
            .arg(&path)
            .output()
            .unwrap();
        let shown = format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(!shown.is_empty());
        for c in ['\u{1b}', '\u{7}', '\u{202e}'] {
            assert!(!shown.contains(c), "{format} replays {c:?}:\n{shown}");
        }
    }
}

/// `cci-dsl graph site.cci | head -1`: a reader that goes away before the output is written
/// is not a crash (`print!` panics, exit 101); the exit status is the command's own.
#[test]
fn a_reader_that_goes_away_is_not_a_crash() {
    let site = crate::root().join("examples/default.cci");
    let bad = crate::root().join("tests/fixtures/resolve/unknown-block.cci");
    for (args, stream, expected) in [
        (vec!["graph".as_ref(), site.as_os_str()], "stdout", 0),
        (vec!["explain".as_ref()], "stdout", 0),
        (vec!["check".as_ref(), bad.as_os_str()], "stderr", 1),
    ] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let mut cmd = cli();
        cmd.args(&args);
        if stream == "stdout" {
            cmd.stdout(writer);
        } else {
            cmd.stderr(writer);
        }
        let status = cmd.status().unwrap();
        assert_eq!(
            status.code(),
            Some(expected),
            "{args:?} with {stream} closed"
        );
    }
}

/// Editors on Windows begin UTF-8 files with a byte-order mark.
#[test]
fn a_byte_order_mark_is_not_part_of_the_site() {
    let text = std::fs::read_to_string(crate::root().join("examples/default.cci")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bom.cci");
    std::fs::write(&path, format!("\u{feff}{text}")).unwrap();
    let o = cli().arg("check").arg(&path).output().unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// `completions` and `man` come from the same clap definitions as `--help`.
#[test]
fn completions_and_the_manual_are_generated() {
    for shell in ["bash", "zsh", "fish"] {
        let o = cli().args(["completions", shell]).output().unwrap();
        assert!(o.status.success(), "{shell}");
        let text = String::from_utf8(o.stdout).unwrap();
        assert!(
            text.contains("cci-dsl") && text.contains("plan"),
            "{shell}: {text}"
        );
    }
    assert_eq!(
        cli()
            .args(["completions", "tcsh"])
            .output()
            .unwrap()
            .status
            .code(),
        Some(2)
    );
    let o = cli().arg("man").output().unwrap();
    assert!(o.status.success());
    let man = String::from_utf8(o.stdout).unwrap();
    assert!(
        man.contains(".TH cci-dsl 1") && man.contains("completions"),
        "{man}"
    );
}

/// `--deny warnings` fails on a warning (exit 1) and writes nothing; without it the same site
/// builds. Diagnostics are plain when stderr is not a terminal, and under NO_COLOR.
#[test]
fn deny_warnings_fails_and_writes_nothing() {
    let site = crate::root().join("examples/evaluation.cci"); // W0429: disposable
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = cli()
        .args(["--deny", "warnings", "build"])
        .arg(&site)
        .arg("-o")
        .arg(&out)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let stderr = String::from_utf8(o.stderr).unwrap();
    assert!(
        stderr.contains("W0429") && stderr.contains("warnings are denied"),
        "{stderr}"
    );
    assert!(!stderr.contains('\u{1b}'), "no colour without a terminal");
    assert!(!out.exists(), "nothing written");
    let o = cli()
        .arg("build")
        .arg(&site)
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    assert!(out.join("terraform/services.tf").exists());
    let o = cli()
        .args(["check", "--deny", "warnings"])
        .arg(crate::root().join("examples/default.cci"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "no warning, nothing to deny");
}

/// docs/language.md is what `cci-dsl reference` prints from the schemas and the stdlib: a
/// new attribute, block or stdlib name that is not in the committed file fails here.
#[test]
fn the_language_reference_is_generated_and_current() {
    let o = cli().arg("reference").output().unwrap();
    assert!(o.status.success());
    let generated = String::from_utf8(o.stdout).unwrap();
    let committed = std::fs::read_to_string(crate::root().join("docs/language.md")).unwrap();
    assert!(
        generated == committed,
        "docs/language.md is out of date: run `cargo run -q -- reference > docs/language.md`"
    );
    for needle in [
        "`subnet_ranges`",
        "`services { backup { ... } }`",
        "`nomad_servers`",
        "`m4.2xlarge`",
    ] {
        assert!(generated.contains(needle), "{needle}");
    }
    let explained = cli().args(["explain", "E0405"]).output().unwrap();
    assert!(String::from_utf8(explained.stdout)
        .unwrap()
        .contains("docs/language.md"));
}

/// The editor grammar (editors/vscode) is JSON a TextMate engine reads, and highlights every
/// block kind of the language reference.
#[test]
fn the_editor_grammar_knows_every_block_kind() {
    let root = crate::root().join("editors/vscode");
    let grammar: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("syntaxes/cci.tmLanguage.json")).unwrap(),
    )
    .expect("the grammar is JSON");
    let _: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("package.json")).unwrap()).unwrap();
    let blocks = grammar["repository"]["block"]["match"].as_str().unwrap();
    let reference = std::fs::read_to_string(crate::root().join("docs/language.md")).unwrap();
    for heading in reference.lines().filter_map(|l| l.strip_prefix("## `")) {
        // `site { aws { ... } }` -> aws; `fleet NAME { ... }` -> fleet; `allow` rules aside.
        let kind = heading.rsplit(" { ").nth(1).unwrap_or(heading);
        let kind = kind.split([' ', '"', '`']).next().unwrap();
        if kind.chars().all(|c| c.is_ascii_lowercase() || c == '_') && !kind.is_empty() {
            assert!(
                blocks.contains(kind),
                "the grammar does not highlight `{kind}`"
            );
        }
    }
}

/// Every file of a build's output directory, relative path and bytes, sorted.
fn output_files(dir: &std::path::Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else {
                out.push((
                    p.strip_prefix(dir).unwrap().to_path_buf(),
                    std::fs::read(&p).unwrap(),
                ));
            }
        }
    }
    out.sort();
    out
}

/// Issue 16, item 7: the outputs depend on the site, never on the working directory or on
/// how its path was typed (the headers, one of them inside the user-data, name the file).
#[test]
fn builds_from_other_directories_and_spellings_are_byte_identical() {
    let root = crate::root();
    let tmp = tempfile::tempdir().unwrap();
    for site in crate::examples() {
        let name = site.file_name().unwrap().to_str().unwrap().to_string();
        let relative = format!("examples/{name}");
        let spellings: [(std::path::PathBuf, String); 5] = [
            (root.clone(), relative.clone()),
            (root.clone(), format!("./{relative}")),
            (root.clone(), format!("examples/../examples//{name}")),
            (root.join("examples"), name.clone()),
            (tmp.path().to_path_buf(), site.display().to_string()),
        ];
        let mut first: Option<Vec<_>> = None;
        for (i, (cwd, path)) in spellings.iter().enumerate() {
            let out = tmp.path().join(format!("{name}-{i}"));
            let o = cli()
                .current_dir(cwd)
                .arg("build")
                .arg(path)
                .arg("-o")
                .arg(&out)
                .output()
                .unwrap();
            assert!(
                o.status.success(),
                "{path}: {}",
                String::from_utf8_lossy(&o.stderr)
            );
            let files = output_files(&out);
            assert!(files.len() > 10, "{path}: {} files", files.len());
            match &first {
                None => first = Some(files),
                Some(want) => {
                    for ((p, a), (_, b)) in want.iter().zip(&files) {
                        assert!(
                            a == b,
                            "{name}: {} differs when built as `{path}` from {}",
                            p.display(),
                            cwd.display()
                        );
                    }
                    assert_eq!(want.len(), files.len(), "{name} as `{path}`");
                }
            }
        }
    }
}

/// `--version` names the release the embedded stdlib describes (its `release` block), so a
/// bug report says which CircleCI Server the binary compiles for.
#[test]
fn version_names_the_release_of_the_embedded_stdlib() {
    let release = cci_core::stdlib_only(&cci_core::stdlib::embedded()).release;
    assert!(!release.is_empty());
    for flag in ["--version", "-V"] {
        let o = cli().arg(flag).output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{flag}");
        assert_eq!(
            String::from_utf8(o.stdout).unwrap(),
            format!(
                "cci-dsl {} (CircleCI Server {release}, stdlib embedded)\n",
                env!("CARGO_PKG_VERSION")
            ),
            "{flag}"
        );
    }
}

/// What bash offers for the words typed so far (the last one is being completed): the script
/// `completions bash` prints, sourced in a real bash, its function called as bash calls it.
fn bash_completes(words: &[&str]) -> Vec<String> {
    let bin = env!("CARGO_BIN_EXE_cci-dsl");
    let script = format!(
        "source <('{bin}' completions bash) || exit 3\n\
         COMP_WORDS=({words}); COMP_CWORD={cword}\n\
         COMP_LINE=\"${{COMP_WORDS[*]}}\"; COMP_POINT=${{#COMP_LINE}}\n\
         prev=''; [ $COMP_CWORD -gt 0 ] && prev=\"${{COMP_WORDS[COMP_CWORD-1]}}\"\n\
         _cci__dsl cci-dsl \"${{COMP_WORDS[COMP_CWORD]}}\" \"$prev\"\n\
         printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        words = words
            .iter()
            .map(|w| format!("'{w}'"))
            .collect::<Vec<_>>()
            .join(" "),
        cword = words.len() - 1,
    );
    let o = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect()
}

/// Bash completes the subcommands, then each subcommand's options and their values (the
/// generated script did not get past a hyphenated program name: clap-rs/clap#6421).
#[test]
fn bash_completes_subcommands_options_and_values() {
    let commands = bash_completes(&["cci-dsl", ""]);
    for c in ["build", "check", "plan", "diff", "man"] {
        assert!(commands.iter().any(|w| w == c), "{c}: {commands:?}");
    }
    assert_eq!(bash_completes(&["cci-dsl", "pl"]), ["plan"]);
    let build = bash_completes(&["cci-dsl", "build", "--"]);
    for o in ["--out", "--check", "--diff"] {
        assert!(build.iter().any(|w| w == o), "{o}: {build:?}");
    }
    assert_eq!(
        bash_completes(&["cci-dsl", "plan", "--format", ""]),
        ["text", "json"]
    );
    assert_eq!(
        bash_completes(&["cci-dsl", "plan", "--format", "j"]),
        ["json"]
    );
}

/// Every page the manual's SUBCOMMANDS section names (`cci-dsl-build(1)`) is one `cci-dsl man
/// build` prints, with that subcommand's options; an unknown page is a usage error.
#[test]
fn the_manual_has_a_page_for_each_subcommand_it_names() {
    let o = cli().arg("man").output().unwrap();
    assert!(o.status.success());
    let main = String::from_utf8(o.stdout).unwrap();
    let named: Vec<String> = main
        .lines()
        .filter_map(|l| l.strip_prefix("cci\\-dsl\\-")?.strip_suffix("(1)"))
        .map(|n| n.replace("\\-", "-"))
        .collect();
    assert!(named.len() >= 13, "{named:?}");
    for name in &named {
        let o = cli().args(["man", name]).output().unwrap();
        assert!(o.status.success(), "{name}");
        let page = String::from_utf8(o.stdout).unwrap();
        assert!(
            page.contains(&format!(".TH cci-dsl-{name} 1")),
            "{name}: {page}"
        );
        assert!(
            page.contains(&format!("cci\\-dsl {name}")),
            "{name}: synopsis"
        );
    }
    let build = String::from_utf8(cli().args(["man", "build"]).output().unwrap().stdout).unwrap();
    for option in ["\\-\\-out", "\\-\\-check", "\\-\\-diff", "<\\fISITE\\fR>"] {
        assert!(build.contains(option), "{option}: {build}");
    }
    let plan = String::from_utf8(cli().args(["man", "plan"]).output().unwrap().stdout).unwrap();
    assert!(
        plan.contains("\\-\\-format") && !plan.contains("\\-\\-out"),
        "{plan}"
    );
    let o = cli().args(["man", "frobnicate"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no manual page for `frobnicate`"));
}

/// `--message-format`, `--color`, `--deny` and `--stdlib` belong to the subcommands they mean
/// something to: given to another (after its name or before it) they are a usage error, and
/// its help does not list them. Before the name of one that takes them they still work.
#[test]
fn options_apply_only_where_they_mean_something() {
    for args in [
        &["man", "--deny", "warnings"][..],
        &["--deny", "warnings", "man"],
        &["completions", "--stdlib", "/tmp", "bash"],
        &["--stdlib", "/tmp", "completions", "bash"],
        &["init", "--color", "never"],
        &["fmt", "--deny", "warnings", "-"],
        &["explain", "--message-format", "json", "E0405"],
        &["--message-format", "json", "import", "-"],
    ] {
        let o = cli().args(args).output().unwrap();
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(o.stdout.is_empty(), "{args:?}");
    }
    let help = |cmd: &str| {
        String::from_utf8(cli().args([cmd, "--help"]).output().unwrap().stdout).unwrap()
    };
    for cmd in ["completions", "man", "init", "import"] {
        let h = help(cmd);
        for flag in ["--message-format", "--color", "--deny", "--stdlib"] {
            assert!(!h.contains(flag), "{cmd} --help lists {flag}:\n{h}");
        }
    }
    for cmd in ["check", "build", "plan", "graph", "diff"] {
        let h = help(cmd);
        for flag in ["--message-format", "--color", "--deny", "--stdlib"] {
            assert!(h.contains(flag), "{cmd} --help lacks {flag}:\n{h}");
        }
    }
    assert!(help("fmt").contains("--color") && !help("fmt").contains("--stdlib"));
    assert!(help("lsp").contains("--stdlib") && !help("lsp").contains("--deny"));
    // Before the subcommand's name, or after it; the embedded stdlib's own copy is a stdlib.
    let lib = tempfile::tempdir().unwrap();
    for (name, text) in cci_core::stdlib::embedded() {
        let file = name.rsplit('/').next().unwrap().to_string();
        std::fs::write(lib.path().join(file), text).unwrap();
    }
    let site = crate::root().join("examples/default.cci");
    for before in [true, false] {
        let mut c = cli();
        if before {
            c.arg("--stdlib").arg(lib.path()).arg("check");
        } else {
            c.arg("check").arg("--stdlib").arg(lib.path());
        }
        let o = c.arg(&site).output().unwrap();
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    let evaluation = crate::root().join("examples/evaluation.cci"); // W0429
    let o = cli()
        .args(["--deny", "warnings", "check", "--message-format", "json"])
        .arg(&evaluation)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "denied before the name");
    let o = cli()
        .args([
            "--message-format",
            "human",
            "check",
            "--message-format",
            "json",
        ])
        .arg(&evaluation)
        .output()
        .unwrap();
    let printed = String::from_utf8([o.stdout, o.stderr].concat()).unwrap();
    assert!(
        printed.contains("\"type\":\"diagnostic\",\"code\":\"W0429\"")
            && !printed.contains("warning(s)"),
        "after the name wins: {printed}"
    );
}
