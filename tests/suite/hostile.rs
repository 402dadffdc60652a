//! A hostile checkout (issue 14): a repository someone else wrote, with a trap at every name the
//! commands create or read — planted symlinks, forged manifests, FIFOs, a sparse 2 GB file,
//! secrets in every layout — and `fmt`, `build`, `check` and the language server run on it.
//! Nothing outside the target may change (decoy files are hashed before and after), nothing may
//! hang (every command runs under a deadline and is killed after it), nothing may abort, and no
//! secret byte may reach any stream or `out/`.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What a command printed and how it ended.
pub struct Ran {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Ran {
    fn streams(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

/// Runs `cci-dsl ARGS` in `dir` with `stdin`, killed and failed after `limit`.
pub fn run_in(dir: &Path, args: &[&str], stdin: &[u8], limit: Duration) -> Ran {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cci-dsl"));
    cmd.args(args);
    run_command(cmd, dir, args, stdin, limit)
}

const LIMIT: Duration = Duration::from_secs(30);

/// Runs `cci-dsl ARGS` like `run_in`, with at most `mib` MiB of address space (`ulimit -v`),
/// so input that makes it grow without end aborts here instead of exhausting the machine.
pub fn run_capped(dir: &Path, args: &[&str], stdin: &[u8], mib: u64) -> Ran {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(format!("ulimit -v {}; exec \"$0\" \"$@\"", mib * 1024))
        .arg(env!("CARGO_BIN_EXE_cci-dsl"))
        .args(args);
    let r = run_command(cmd, dir, args, stdin, LIMIT);
    assert!(
        !matches!(r.code, Some(101) | Some(134)),
        "`cci-dsl {}` crashed ({:?})\n{}",
        args.join(" "),
        r.code,
        r.stderr
    );
    r
}

/// Runs `cmd` in `dir` with `stdin`: killed and failed after `limit`, failed if a signal ends
/// it.
fn run_command(mut cmd: Command, dir: &Path, args: &[&str], stdin: &[u8], limit: Duration) -> Ran {
    let mut child = cmd
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the command starts");
    let mut input = child.stdin.take().unwrap();
    let stdin = stdin.to_vec();
    let feeder = std::thread::spawn(move || {
        let _ = input.write_all(&stdin);
    });
    let (mut out, mut err) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = out.read_to_end(&mut s);
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = err.read_to_end(&mut s);
        s
    });
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "`cci-dsl {}` in {} hung (> {limit:?})",
                args.join(" "),
                dir.display()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let _ = feeder.join();
    let stdout = String::from_utf8_lossy(&reader.join().unwrap()).into_owned();
    let stderr = String::from_utf8_lossy(&err_reader.join().unwrap()).into_owned();
    use std::os::unix::process::ExitStatusExt;
    assert!(
        status.signal().is_none(),
        "`cci-dsl {}` died of signal {:?}\n{stderr}",
        args.join(" "),
        status.signal()
    );
    Ran {
        code: status.code(),
        stdout,
        stderr,
    }
}

/// Every entry under `dir`, not following links: path → a description (file bytes, link
/// target, directory, FIFO) and mode, so any change outside the target shows.
pub fn snapshot(dir: &Path) -> BTreeMap<PathBuf, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let m = std::fs::symlink_metadata(&p).unwrap();
            let mode = m.permissions().mode();
            let what = if m.file_type().is_symlink() {
                format!("link -> {}", std::fs::read_link(&p).unwrap().display())
            } else if m.is_dir() {
                stack.push(p.clone());
                "dir".to_string()
            } else if m.is_file() && m.len() < (1 << 20) {
                use std::hash::{Hash, Hasher};
                let mut h = std::collections::hash_map::DefaultHasher::new();
                std::fs::read(&p).unwrap().hash(&mut h);
                format!("file of {} bytes, hash {:016x}", m.len(), h.finish())
            } else {
                format!("other, {} bytes", m.len())
            };
            out.insert(p, format!("{mode:o} {what}"));
        }
    }
    out
}

/// A scratch area: `repo/` is the hostile checkout, `home/` holds the operator's files that
/// nothing may touch.
pub struct Area {
    _tmp: tempfile::TempDir,
    pub repo: PathBuf,
    pub home: PathBuf,
}

impl Area {
    pub fn new() -> Area {
        let tmp = tempfile::tempdir().unwrap();
        let (repo, home) = (tmp.path().join("repo"), tmp.path().join("home"));
        std::fs::create_dir_all(&repo).unwrap();
        std::fs::create_dir_all(home.join("dir")).unwrap();
        std::fs::write(home.join("bashrc"), "export PATH=/usr/bin\n").unwrap();
        std::fs::write(home.join("dir/keep"), "the operator's\n").unwrap();
        // A site file outside the checkout that formatting would change.
        std::fs::write(home.join("other.cci"), unformatted()).unwrap();
        Area {
            _tmp: tmp,
            repo,
            home,
        }
    }
}

fn default_site() -> String {
    std::fs::read_to_string(crate::root().join("examples/default.cci")).unwrap()
}

/// The default site with `block` (a `tls`, `proxy` or `tags` block) inside its `site` block.
fn with_in_site(block: &str) -> String {
    let anchor = "TF_VAR_circle_secret_passphrase\n}\n";
    let site = default_site();
    assert!(site.contains(anchor));
    site.replacen(
        anchor,
        &format!("TF_VAR_circle_secret_passphrase\n{block}}}\n"),
        1,
    )
}

/// The default site with its indentation doubled: valid, and not in the one layout.
fn unformatted() -> String {
    default_site().replace("\n  ", "\n    ")
}

fn mkfifo(path: &Path) {
    let ok = Command::new("mkfifo").arg(path).status().unwrap().success();
    assert!(ok, "mkfifo {}", path.display());
}

// ---------------------------------------------------------------------------------- fmt

/// The old temporary name (`NAME.cci.fmt-tmp`) planted as a link to the operator's file.
#[test]
fn fmt_never_writes_through_a_planted_symlink() {
    let a = Area::new();
    let site = a.repo.join("site.cci");
    std::fs::write(&site, unformatted()).unwrap();
    symlink(a.home.join("bashrc"), a.repo.join("site.cci.fmt-tmp")).unwrap();
    let home = snapshot(&a.home);
    let r = run_in(&a.repo, &["fmt", "site.cci"], b"", LIMIT);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(
        snapshot(&a.home),
        home,
        "fmt changed a file outside the checkout"
    );
    let m = std::fs::symlink_metadata(&site).unwrap();
    assert!(m.file_type().is_file(), "the site file became a link");
    assert_eq!(std::fs::read_to_string(&site).unwrap(), default_site());
    // Nothing of fmt's is left next to it but the planted link.
    let names: Vec<String> = std::fs::read_dir(&a.repo)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

#[test]
fn fmt_keeps_the_mode_and_refuses_read_only_files() {
    let a = Area::new();
    let private = a.repo.join("private.cci");
    std::fs::write(&private, unformatted()).unwrap();
    std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o600)).unwrap();
    let r = run_in(&a.repo, &["fmt", "private.cci"], b"", LIMIT);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let mode = std::fs::metadata(&private).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode, 0o600, "fmt changed the file's mode");
    assert_eq!(std::fs::read_to_string(&private).unwrap(), default_site());

    let frozen = a.repo.join("frozen.cci");
    std::fs::write(&frozen, unformatted()).unwrap();
    std::fs::set_permissions(&frozen, std::fs::Permissions::from_mode(0o444)).unwrap();
    let r = run_in(&a.repo, &["fmt", "frozen.cci"], b"", LIMIT);
    assert_eq!(r.code, Some(2), "a read-only file is an I/O refusal");
    assert!(r.stderr.contains("read-only"), "{}", r.stderr);
    assert_eq!(std::fs::read_to_string(&frozen).unwrap(), unformatted());
}

/// `fmt` with no file walks the checkout: it follows no link out of it (to a directory or a
/// file), reads no FIFO and cannot loop on links that point at each other.
#[test]
fn fmt_walks_the_checkout_without_following_links() {
    let a = Area::new();
    std::fs::write(a.repo.join("site.cci"), unformatted()).unwrap();
    symlink(&a.home, a.repo.join("escape")).unwrap();
    symlink(a.home.join("other.cci"), a.repo.join("other.cci")).unwrap();
    symlink("loop2", a.repo.join("loop1")).unwrap();
    symlink("loop1", a.repo.join("loop2")).unwrap();
    std::fs::create_dir(a.repo.join("sub")).unwrap();
    symlink("..", a.repo.join("sub/up")).unwrap();
    mkfifo(&a.repo.join("fifo.cci"));
    let home = snapshot(&a.home);
    let r = run_in(&a.repo, &["fmt"], b"", LIMIT);
    assert_eq!(
        snapshot(&a.home),
        home,
        "fmt changed a file outside the checkout"
    );
    assert_eq!(
        std::fs::read_to_string(a.repo.join("site.cci")).unwrap(),
        default_site()
    );
    assert!(std::fs::symlink_metadata(a.repo.join("other.cci"))
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(r.code, Some(0), "{}", r.stderr);
}

#[test]
fn fmt_dash_reads_stdin_and_prints_to_stdout() {
    let a = Area::new();
    let r = run_in(&a.repo, &["fmt", "-"], unformatted().as_bytes(), LIMIT);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(r.stdout, default_site());
    assert!(!a.repo.join("-").exists(), "fmt - wrote a file named -");
    let r = run_in(
        &a.repo,
        &["fmt", "--check", "-"],
        unformatted().as_bytes(),
        LIMIT,
    );
    assert_eq!(r.code, Some(1));
    assert!(r.stdout.contains("+  aws {"), "{}", r.stdout);
}

/// A site file that is a link is refused by name, and the link stays a link.
#[test]
fn fmt_refuses_a_file_that_is_a_link() {
    let a = Area::new();
    std::fs::write(a.repo.join("real.cci"), unformatted()).unwrap();
    symlink("real.cci", a.repo.join("link.cci")).unwrap();
    let r = run_in(&a.repo, &["fmt", "link.cci"], b"", LIMIT);
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert!(r.stderr.contains("symbolic link"), "{}", r.stderr);
    let m = std::fs::symlink_metadata(a.repo.join("link.cci")).unwrap();
    assert!(m.file_type().is_symlink());
    assert_eq!(
        std::fs::read_to_string(a.repo.join("real.cci")).unwrap(),
        unformatted()
    );
}

// -------------------------------------------------------------------------------- build

/// Builds `site` into `repo/out`; the result.
fn build(repo: &Path, site: &str) -> Ran {
    run_in(repo, &["build", site, "-o", "out"], b"", LIMIT)
}

/// A checkout with a built `out/` and a second site that changes every file of it, so the
/// next build has something to replace.
fn built_checkout() -> Area {
    let a = Area::new();
    std::fs::write(a.repo.join("site.cci"), default_site()).unwrap();
    std::fs::write(
        a.repo.join("other.cci"),
        default_site().replace("\"acme\"", "\"other\""),
    )
    .unwrap();
    let r = build(&a.repo, "site.cci");
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    a
}

#[test]
fn build_follows_no_link_planted_at_its_own_names() {
    for name in [".cci-dsl-journal", ".cci-dsl-staging", ".cci-dsl-manifest"] {
        let a = built_checkout();
        let out = a.repo.join("out");
        let target = if name == ".cci-dsl-staging" {
            a.home.join("dir")
        } else {
            a.home.join("bashrc")
        };
        let _ = std::fs::remove_file(out.join(name));
        symlink(&target, out.join(name)).unwrap();
        let home = snapshot(&a.home);
        let r = build(&a.repo, "other.cci");
        assert_eq!(
            snapshot(&a.home),
            home,
            "{name}: build wrote through the link\n{}",
            r.stderr
        );
        assert_ne!(r.code, Some(101), "{}", r.stderr);
    }
}

#[test]
fn build_writes_into_no_directory_that_is_a_link() {
    let a = built_checkout();
    let out = a.repo.join("out");
    std::fs::remove_dir_all(out.join("iam")).unwrap();
    symlink(a.home.join("dir"), out.join("iam")).unwrap();
    let home = snapshot(&a.home);
    let r = build(&a.repo, "other.cci");
    assert_eq!(
        snapshot(&a.home),
        home,
        "build wrote into a linked directory"
    );
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert!(r.stderr.contains("symbolic link"), "{}", r.stderr);

    // The output directory itself planted as a link.
    let b = Area::new();
    std::fs::write(b.repo.join("site.cci"), default_site()).unwrap();
    symlink(b.home.join("dir"), b.repo.join("out")).unwrap();
    let home = snapshot(&b.home);
    let r = build(&b.repo, "site.cci");
    assert_eq!(snapshot(&b.home), home, "build wrote through a linked out/");
    assert_eq!(r.code, Some(2), "{}", r.stderr);
}

/// A file of ours its owner made read-only is not replaced behind their back: the build
/// refuses before it writes anything.
#[test]
fn build_refuses_to_replace_a_read_only_file() {
    let a = built_checkout();
    let out = a.repo.join("out");
    let frozen = out.join("ports.md");
    std::fs::set_permissions(&frozen, std::fs::Permissions::from_mode(0o444)).unwrap();
    let before = snapshot(&out);
    let r = build(&a.repo, "other.cci");
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert!(r.stderr.contains("read-only"), "{}", r.stderr);
    assert_eq!(snapshot(&out), before, "the output changed");
}

/// Manifest lines the build did not write (Terraform's state, a path out of the target, a
/// file of ours the operator changed since) are reported, never deleted.
#[test]
fn forged_manifest_lines_delete_nothing() {
    let a = built_checkout();
    let out = a.repo.join("out");
    std::fs::write(out.join("terraform/terraform.tfstate"), "{\"state\": 1}\n").unwrap();
    std::fs::write(out.join("notes.md"), "mine\n").unwrap();
    let manifest = out.join(".cci-dsl-manifest");
    let mut forged = std::fs::read_to_string(&manifest).unwrap();
    for line in [
        "terraform/terraform.tfstate",
        "notes.md",
        "../../home/bashrc",
        "terraform/../../../home/bashrc",
    ] {
        forged.push_str(line);
        forged.push('\n');
    }
    std::fs::write(&manifest, forged).unwrap();
    let home = snapshot(&a.home);
    // A site without the graph outputs' neighbours: remove a fleet so files go away too.
    let r = build(&a.repo, "other.cci");
    assert_eq!(snapshot(&a.home), home);
    assert_eq!(
        std::fs::read_to_string(out.join("terraform/terraform.tfstate")).unwrap(),
        "{\"state\": 1}\n"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("notes.md")).unwrap(),
        "mine\n"
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
}

/// A file of a previous build that the operator edited is not deleted when the new build no
/// longer writes it (a site without backups has no backup role): the build says it kept it;
/// one left as it was written is deleted.
#[test]
fn an_edited_file_the_build_no_longer_writes_is_kept() {
    let a = Area::new();
    let anchor = "  disk     = 100 GiB\n}\n\nfleet nomad {";
    assert!(default_site().contains(anchor));
    let backups = default_site().replacen(
        anchor,
        "  disk     = 100 GiB\n  backup {\n    every = 24\n    keep  = 14\n  }\n}\n\nfleet nomad {",
        1,
    );
    std::fs::write(a.repo.join("backups.cci"), backups).unwrap();
    std::fs::write(a.repo.join("plain.cci"), default_site()).unwrap();
    let out = a.repo.join("out");
    let (edited, untouched) = ("iam/backup-role-policy.json", "iam/dlm-assume-role.json");
    assert_eq!(build(&a.repo, "backups.cci").code, Some(0));
    assert!(out.join(edited).exists() && out.join(untouched).exists());
    std::fs::write(out.join(edited), "edited by the operator\n").unwrap();
    let r = build(&a.repo, "plain.cci");
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(
        std::fs::read_to_string(out.join(edited)).unwrap(),
        "edited by the operator\n"
    );
    assert!(r.stderr.contains(edited), "{}", r.stderr);
    assert!(!out.join(untouched).exists(), "a file of ours left behind");
}

/// A disk that fills during the build: the build fails, removes its staging, and the previous
/// output is whole. A 1 MiB tmpfs in a mount namespace of the test's own.
#[test]
fn a_full_disk_leaves_no_staging_behind() {
    let required = std::env::var("CCI_REQUIRE_VALIDATORS").is_ok_and(|v| v == "1");
    let probe = Command::new("unshare").args(["-m", "true"]).status();
    if !probe.is_ok_and(|s| s.success()) {
        assert!(
            !required,
            "unshare -m (root) is needed for the full-disk test"
        );
        eprintln!("SKIPPED: unshare -m not allowed here");
        return;
    }
    let a = Area::new();
    std::fs::write(a.repo.join("site.cci"), default_site()).unwrap();
    let exe = env!("CARGO_BIN_EXE_cci-dsl");
    // Fill the disk but for a little, then build: the build runs out of space half-way.
    let script = r#"
        set -u
        mount -t tmpfs -o size=1m tmpfs "$1" || exit 90
        dd if=/dev/zero of="$1/filler" bs=1k count=900 2>/dev/null
        cd "$2" && "$3" build site.cci -o "$1/out" 2>"$1/../err"
        echo "rc=$?"
        ls -A "$1/out" 2>/dev/null | tr '\n' ' '
        echo
        df -k "$1" | tail -1 | awk '{print "used=" $3}'
    "#;
    let disk = a.home.join("disk");
    std::fs::create_dir(&disk).unwrap();
    let o = Command::new("unshare")
        .args(["-m", "sh", "-c", script, "sh"])
        .arg(&disk)
        .arg(&a.repo)
        .arg(exe)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&o.stdout).into_owned();
    let err = std::fs::read_to_string(a.home.join("err")).unwrap_or_default();
    assert!(said.contains("rc=2"), "{said}\n{err}");
    assert!(err.contains("No space left"), "{err}");
    let listing = said.lines().nth(1).unwrap_or("");
    assert!(
        !listing.contains("staging"),
        "staging left behind: {listing}"
    );
    let used: u64 = said
        .lines()
        .find_map(|l| l.strip_prefix("used="))
        .and_then(|n| n.trim().parse().ok())
        .unwrap();
    assert!(
        used <= 940,
        "the failed build left {used} KiB used (the filler is 900)"
    );
}

// ------------------------------------------------------------------------------ secrets

/// A fake private key's body lines: none may be printed.
const PEM_BODY: &[&str] = &[
    "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj",
    "MzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu",
    "NMoSfm76oqFvAp8Gy0iz5sxjZmSnXyCdPEovGhLa0VzMaQ8s+CLOyS56YyCFGeJZ",
];

/// A site's text with a secret in some layout, and the markers that must never be printed.
type SecretSite = (&'static str, String, Vec<String>);

fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// Secrets in every layout the issue names, each with a marker that must never be printed.
fn secret_sites() -> Vec<SecretSite> {
    let mut sites = secrets_after_their_keys();
    sites.extend(secrets_in_comments_urls_and_keys());
    sites.extend(secrets_in_odd_shapes());
    sites
}

/// Values after a secret-named key: a PEM block, the passphrase on the next line, after a
/// colon, two on a line, `pwd` and `db_pw`.
fn secrets_after_their_keys() -> Vec<SecretSite> {
    let site = default_site();
    let swap = |from: &str, to: &str| site.replacen(from, to, 1);
    let mut pem = String::from("  key = \"-----BEGIN PRIVATE KEY-----\n");
    for l in PEM_BODY {
        pem.push_str(l);
        pem.push('\n');
    }
    pem.push_str("-----END PRIVATE KEY-----\"\n");
    let pem_site = with_in_site(&format!(
        "  tls {{\n    certificate = file(\"ci.pem\")\n{pem}  }}\n"
    ));
    vec![
        ("pem-inline", pem_site, strs(PEM_BODY)),
        (
            "passphrase-next-line",
            swap("passphrase         = secret", "passphrase =\n    \"HunterNextLine1\""),
            strs(&["HunterNextLine1"]),
        ),
        (
            "passphrase-colon",
            swap("passphrase         = secret", "passphrase: \"HunterColon2\""),
            strs(&["HunterColon2"]),
        ),
        (
            "two-on-a-line",
            swap("ssh_key = \"ops\"", "ssh_key = \"ops\" passphrase = \"HunterTwoOnLine3\""),
            strs(&["HunterTwoOnLine3"]),
        ),
        (
            "pwd-keys",
            swap(
                "daily_active_users = 40",
                "daily_active_users = 40\n  pwd = \"PwdValue4x\"\n  db_pw = \"DbPwValue5x\"\n  pasphrase = \"Misspelt6x\"",
            ),
            strs(&["PwdValue4x", "DbPwValue5x", "Misspelt6x"]),
        ),
    ]
}

/// Secrets next to an error in a comment, in URLs without a scheme, AWS keys.
fn secrets_in_comments_urls_and_keys() -> Vec<SecretSite> {
    let site = default_site();
    let swap = |from: &str, to: &str| site.replacen(from, to, 1);
    vec![
        (
            "comment-next-to-an-error",
            swap(
                "daily_active_users = 40",
                "# the admin password is CommentPw7x\n  dailyactiveusers = 40  # password: CommentPw8x",
            ),
            strs(&["CommentPw7x", "CommentPw8x"]),
        ),
        (
            "token-in-a-url-without-scheme",
            swap(
                "github             = github_com",
                "github = enterprise(\"ghp_Abcdefghijklmnopqrstuvwxyz0123456789@ghe.acme.internal\")",
            ),
            strs(&["ghp_Abcdefghijklmnopqrstuvwxyz0123456789"]),
        ),
        (
            "userinfo-in-a-url-without-scheme",
            swap(
                "github             = github_com",
                "github = enterprise(\"deploy:GhePass9x@ghe.acme.internal\")",
            )
            .replace(
                "TF_VAR_circle_secret_passphrase\n}",
                "TF_VAR_circle_secret_passphrase\n  proxy {\n    https = \"ops:ProxyPass10x@proxy.internal:3128\"\n  }\n}",
            ),
            strs(&["GhePass9x", "ProxyPass10x"]),
        ),
        (
            "aws-keys",
            swap(
                "ssh_key = \"ops\"",
                "ssh_key = \"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\"\n    note = \"AKIAIOSFODNN7EXAMPLE\" # also wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzzzzzzKEY",
            ),
            strs(&[
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                "AKIAIOSFODNN7EXAMPLE",
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzzzzzzKEY",
            ]),
        ),
    ]
}

/// Typos of the separator, values of odd shapes, prose, odd characters in a URL, key bodies
/// without their armour, a tag named as a secret.
fn secrets_in_odd_shapes() -> Vec<SecretSite> {
    let site = default_site();
    let swap = |from: &str, to: &str| site.replacen(from, to, 1);
    vec![
        (
            "typo-separators",
            swap(
                "daily_active_users = 40",
                "daily_active_users = 40\n  passphrase == \"Typo1x\"\n  pasphrase := \"Typo2x\"\n  password \"Typo3x\"\n  pw = = \"Typo4x\"\n  pwd =, \"Typo5x\"",
            ),
            strs(&["Typo1x", "Typo2x", "Typo3x", "Typo4x", "Typo5x"]),
        ),
        (
            "value-shapes",
            swap(
                "daily_active_users = 40",
                "daily_active_users = 40\n  passphrase = { value = \"Shape1x\" }\n  password = secret(\"Shape2x\")\n  pwd = secret Shape3x\n  db_pw = \"A\" + \"Shape4x\"\n  token = \"A\nShape5x\"",
            ),
            strs(&["Shape1x", "Shape2x", "Shape3x", "Shape4x", "Shape5x"]),
        ),
        (
            "comment-prose",
            swap(
                "daily_active_users = 40",
                "# the admin password is below\n  # Prose1x\n  dailyactiveusers = 40",
            ),
            strs(&["Prose1x"]),
        ),
        (
            "userinfo-with-odd-characters",
            swap(
                "github             = github_com",
                "github = enterprise(\"https://ops:Leak)19x@ghe.acme.internal\")",
            )
            .replace(
                "TF_VAR_circle_secret_passphrase\n}",
                "TF_VAR_circle_secret_passphrase\n  proxy {\n    https = \"http://ops:Leak/18x@proxy.internal:3128\"\n  }\n}",
            ),
            strs(&["Leak/18x", "Leak)19x", "Leak"]),
        ),
        (
            "key-bodies-without-armour",
            with_in_site(
                "  tls {\n    certificate = file(\"ci.pem\")\n    key = <<EOF\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7Body1xQ\nEOF\n    key = \"----BEGIN PRIVATE KEY----\nMzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurBody2xQ\n----END PRIVATE KEY----\"\n    key = \"----- BEGIN PRIVATE KEY -----\nNMoSfm76oqFvAp8Gy0iz5sxjZmSnXyCdPEovGhLa0VzMaBody3xQ\n----- END PRIVATE KEY -----\"\n  }\n",
            ),
            strs(&["Body1xQ", "Body2xQ", "Body3xQ"]),
        ),
        (
            "tag-named-as-a-secret",
            with_in_site("  tags {\n    password = \"TagPw11x\"\n  }\n"),
            strs(&["TagPw11x"]),
        ),
    ]
}

/// Every command and renderer over every layout: the markers appear on no stream, in no
/// output file, in no diagnostic the language server publishes.
#[test]
fn no_secret_reaches_any_stream_or_output() {
    let mut leaks = Vec::new();
    for (name, text, markers) in secret_sites() {
        let a = Area::new();
        std::fs::write(a.repo.join("site.cci"), &text).unwrap();
        let mut seen = String::new();
        for args in [
            &["check", "site.cci"][..],
            &["check", "--message-format", "json", "site.cci"],
            &["build", "site.cci", "-o", "out"],
            &["plan", "site.cci"],
            &["graph", "site.cci"],
            &["fmt", "--check", "site.cci"],
        ] {
            let r = run_in(&a.repo, args, b"", LIMIT);
            seen.push_str(&r.streams());
        }
        let r = run_in(&a.repo, &["check", "-"], text.as_bytes(), LIMIT);
        seen.push_str(&r.streams());
        if a.repo.join("out").exists() {
            for (_, v) in snapshot(&a.repo.join("out")) {
                seen.push_str(&v);
                seen.push('\n');
            }
            for (p, t) in crate::files_under_path(&a.repo.join("out")) {
                seen.push_str(&format!("{}\n{t}\n", p.display()));
            }
        }
        let mut lsp = Lsp::start(&a.repo);
        seen.push_str(&lsp.open(&a.repo.join("site.cci"), &text).to_string());
        lsp.stop();
        for m in &markers {
            if seen.contains(m.as_str()) {
                leaks.push(format!("{name}: `{m}`"));
            }
        }
    }
    assert!(
        leaks.is_empty(),
        "printed or written:\n{}",
        leaks.join("\n")
    );
}

// ------------------------------------------------------------------------ language server

/// A language-server client with deadlines: every read gives up after `LIMIT`.
pub struct Lsp {
    child: std::process::Child,
    stdin: std::process::ChildStdin,
    messages: std::sync::mpsc::Receiver<serde_json::Value>,
    next_id: u64,
}

impl Lsp {
    pub fn start(dir: &Path) -> Lsp {
        let mut lsp = Lsp::start_raw(dir);
        lsp.request("initialize", serde_json::json!({ "capabilities": {} }));
        lsp.notify("initialized", serde_json::json!({}));
        lsp
    }

    /// The server started, not yet initialized.
    pub fn start_raw(dir: &Path) -> Lsp {
        let mut child = Command::new(env!("CARGO_BIN_EXE_cci-dsl"))
            .arg("lsp")
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || loop {
            use std::io::BufRead;
            let mut length = None;
            loop {
                let mut line = String::new();
                match stdout.read_line(&mut line) {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
                let line = line.trim_end();
                if line.is_empty() {
                    break;
                }
                if let Some(n) = line.strip_prefix("Content-Length: ") {
                    length = n.parse::<usize>().ok();
                }
            }
            let mut body = vec![0; length.unwrap_or(0)];
            if stdout.read_exact(&mut body).is_err() {
                return;
            }
            if tx.send(serde_json::from_slice(&body).unwrap()).is_err() {
                return;
            }
        });
        Lsp {
            child,
            stdin,
            messages: rx,
            next_id: 1,
        }
    }

    pub fn send_raw(&mut self, bytes: &[u8]) {
        let _ = self.stdin.write_all(bytes);
        let _ = self.stdin.flush();
    }

    fn send(&mut self, msg: serde_json::Value) {
        let body = msg.to_string();
        self.send_raw(format!("Content-Length: {}\r\n\r\n{body}", body.len()).as_bytes());
    }

    pub fn notify(&mut self, method: &str, params: serde_json::Value) {
        self.send(serde_json::json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    /// The next message that `pick` accepts, within the deadline.
    pub fn wait_for(
        &mut self,
        what: &str,
        pick: impl Fn(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        let deadline = Instant::now() + LIMIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.messages.recv_timeout(left) {
                Ok(m) if pick(&m) => return m,
                Ok(_) => {}
                Err(_) => {
                    let _ = self.child.kill();
                    panic!("the language server did not answer {what} within {LIMIT:?}");
                }
            }
        }
    }

    pub fn request(&mut self, method: &str, params: serde_json::Value) -> serde_json::Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(
            serde_json::json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }),
        );
        self.wait_for(method, |m| m["id"] == id)
    }

    /// Opens a document and returns the diagnostics published for it.
    pub fn open(&mut self, path: &Path, text: &str) -> serde_json::Value {
        let uri = format!("file://{}", path.display());
        self.notify(
            "textDocument/didOpen",
            serde_json::json!({ "textDocument": { "uri": uri, "languageId": "cci", "version": 1, "text": text } }),
        );
        self.wait_for("didOpen", |m| {
            m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri
        })
    }

    pub fn stop(mut self) {
        self.request("shutdown", serde_json::Value::Null);
        self.notify("exit", serde_json::Value::Null);
        let deadline = Instant::now() + LIMIT;
        while self.child.try_wait().unwrap().is_none() {
            assert!(
                Instant::now() < deadline,
                "the language server did not exit"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

/// Sites naming files that never end (standard input, a FIFO) or are not files: the server
/// answers each with diagnostics and goes on serving.
#[test]
fn the_language_server_reads_no_fifo_device_or_proc_file() {
    let a = Area::new();
    mkfifo(&a.repo.join("fifo.pem"));
    let mut lsp = Lsp::start(&a.repo);
    for (i, named) in [
        "/dev/stdin",
        "/proc/self/fd/0",
        "fifo.pem",
        "/dev/zero",
        "/proc/self/environ",
    ]
    .iter()
    .enumerate()
    {
        let text = with_in_site(&format!(
            "  tls {{\n    certificate = file(\"{named}\")\n  }}\n"
        ));
        let d = lsp.open(&a.repo.join(format!("site{i}.cci")), &text);
        let shown = d.to_string();
        assert!(shown.contains("E043"), "{named}: {shown}");
    }
    let hover = lsp.request(
        "textDocument/hover",
        serde_json::json!({ "textDocument": { "uri": format!("file://{}", a.repo.join("site0.cci").display()) }, "position": { "line": 24, "character": 16 } }),
    );
    assert!(hover.get("result").is_some());
    lsp.stop();
    // The command line reads them the same way.
    for named in ["fifo.pem", "/dev/stdin"] {
        let text = with_in_site(&format!(
            "  tls {{\n    certificate = file(\"{named}\")\n  }}\n"
        ));
        std::fs::write(a.repo.join("named.cci"), text).unwrap();
        let r = run_in(&a.repo, &["check", "named.cci"], b"", LIMIT);
        assert_eq!(r.code, Some(1), "{named}: {}", r.stderr);
        assert!(
            r.stderr.contains("not a regular file"),
            "{named}: {}",
            r.stderr
        );
    }
}

/// A header announcing an enormous message: the server says so, allocates nothing like it,
/// finds the next message and answers it.
#[test]
fn the_language_server_bounds_a_message_before_reading_it() {
    let a = Area::new();
    let mut lsp = Lsp::start(&a.repo);
    lsp.send_raw(b"Content-Length: 18446744073709551615\r\n\r\n");
    lsp.send_raw(b"Content-Length: 99999999999\r\n\r\n{\"jsonrpc\":\"2.0\"}");
    lsp.send_raw(b"Content-Length: abc\r\n\r\n");
    lsp.send_raw(b"Content-Length: 5\r\n\r\n{nope");
    let d = lsp.open(&a.repo.join("site.cci"), &default_site());
    assert_eq!(d["params"]["diagnostics"], serde_json::json!([]));
    let status = std::fs::read_to_string(format!("/proc/{}/status", lsp.pid())).unwrap();
    let peak_kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    assert!(peak_kib < 200 * 1024, "the server grew to {peak_kib} KiB");
    lsp.stop();
}

// ----------------------------------------------------------------------------- values

/// Proxy URLs the old character check let through (a port out of range, no host, junk
/// after the port) are errors, and none reaches a machine's user-data.
#[test]
fn proxy_urls_are_parsed_before_they_reach_an_output() {
    for url in [
        "http://proxy.internal:99999",
        "http://:3128",
        "http://proxy.internal:31x8",
        "http://proxy.internal:3128/some/path",
        "http://[::1:3128",
        "http://proxy.internal:0",
    ] {
        let a = Area::new();
        let text = with_in_site(&format!("  proxy {{\n    https = \"{url}\"\n  }}\n"));
        std::fs::write(a.repo.join("site.cci"), text).unwrap();
        let r = build(&a.repo, "site.cci");
        assert_eq!(r.code, Some(1), "{url} was taken:\n{}", r.stderr);
        assert!(r.stderr.contains("E0318"), "{url}: {}", r.stderr);
        assert!(!a.repo.join("out").exists());
    }
}

/// Control characters and bidirectional overrides in any string (a rule's purpose, a tag, a
/// name) are refused where they are written, so none reaches ports.md, plan or Terraform.
#[test]
fn control_and_bidi_characters_are_refused_in_strings() {
    for bad in ["\u{202e}", "\u{7}", "\u{1b}[2J", "\\n", "\u{200b}", "\\t"] {
        let a = Area::new();
        let text = format!(
            "{}\nallow tcp 9100 from 10.20.0.0/16 to nomad \"node exporter{bad}x\"\n",
            default_site()
        );
        std::fs::write(a.repo.join("site.cci"), &text).unwrap();
        let r = build(&a.repo, "site.cci");
        assert_eq!(r.code, Some(1), "{bad:?} was taken:\n{}", r.stderr);
        assert!(r.stderr.contains("E0107"), "{bad:?}: {}", r.stderr);
        let p = run_in(&a.repo, &["plan", "site.cci"], b"", LIMIT);
        assert!(!p.stdout.contains("exporter"), "{bad:?} reached plan");
    }
}

/// A 2 GB sparse file, a FIFO and a device where a site or a file it names should be: each is
/// refused by its size or kind before anything is read, and the other files are still done.
#[test]
fn huge_files_fifos_and_devices_are_refused_unread() {
    let a = Area::new();
    let big = std::fs::File::create(a.repo.join("big.cci")).unwrap();
    big.set_len(2 << 30).unwrap();
    std::fs::write(a.repo.join("big.pem"), "").unwrap();
    std::fs::File::options()
        .write(true)
        .open(a.repo.join("big.pem"))
        .unwrap()
        .set_len(2 << 30)
        .unwrap();
    mkfifo(&a.repo.join("fifo.cci"));
    std::fs::write(a.repo.join("site.cci"), unformatted()).unwrap();
    for (site, why) in [
        ("big.cci", "larger than 64 MiB"),
        ("fifo.cci", "not a regular file"),
        ("/dev/zero", "not a regular file"),
    ] {
        let r = run_in(&a.repo, &["check", site], b"", LIMIT);
        assert_eq!(r.code, Some(2), "{site}: {}", r.stderr);
        assert!(r.stderr.contains(why), "{site}: {}", r.stderr);
    }
    // fmt's walk: the huge file is reported, the FIFO skipped, the site formatted.
    let r = run_in(&a.repo, &["fmt"], b"", LIMIT);
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert!(r.stderr.contains("larger than 64 MiB"), "{}", r.stderr);
    assert_eq!(
        std::fs::read_to_string(a.repo.join("site.cci")).unwrap(),
        default_site()
    );
    let text = with_in_site("  tls {\n    certificate = file(\"big.pem\")\n  }\n");
    std::fs::write(a.repo.join("named.cci"), text).unwrap();
    let r = run_in(&a.repo, &["check", "named.cci"], b"", LIMIT);
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    assert!(r.stderr.contains("larger than 1 MiB"), "{}", r.stderr);
}

/// `import -o FILE --force` and `init FILE` where FILE is a planted link: neither writes
/// through it.
#[test]
fn import_and_init_write_through_no_link() {
    let a = Area::new();
    let tfvars = crate::root().join("tests/fixtures/import");
    let template = std::fs::read_dir(&tfvars)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.extension()
                .is_some_and(|e| e == "tfvars" || e == "template")
        })
        .expect("an import fixture");
    std::fs::copy(&template, a.repo.join("terraform.tfvars")).unwrap();
    symlink(a.home.join("bashrc"), a.repo.join("site.cci")).unwrap();
    let home = snapshot(&a.home);
    let r = run_in(
        &a.repo,
        &["import", "terraform.tfvars", "-o", "site.cci", "--force"],
        b"",
        LIMIT,
    );
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert!(r.stderr.contains("symbolic link"), "{}", r.stderr);
    let r = run_in(&a.repo, &["init", "site.cci"], b"", LIMIT);
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert_eq!(snapshot(&a.home), home, "a link was written through");
    // A file of the operator's replaced with --force keeps its mode.
    std::fs::remove_file(a.repo.join("site.cci")).unwrap();
    std::fs::write(a.repo.join("site.cci"), "old\n").unwrap();
    std::fs::set_permissions(
        a.repo.join("site.cci"),
        std::fs::Permissions::from_mode(0o640),
    )
    .unwrap();
    let r = run_in(
        &a.repo,
        &["import", "terraform.tfvars", "-o", "site.cci", "--force"],
        b"",
        LIMIT,
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let m = std::fs::metadata(a.repo.join("site.cci")).unwrap();
    assert_eq!(m.permissions().mode() & 0o7777, 0o640);
    assert!(std::fs::read_to_string(a.repo.join("site.cci"))
        .unwrap()
        .contains("site "));
}

// ------------------------------------------------------- found by a red-team review

/// Every kind of Unicode space, outside strings, in comments before `@`, in a tfvars value:
/// no command grows without bound or crashes (the lexer once made empty tokens forever on
/// them, and the masking sliced a multi-byte space in half).
#[test]
fn unicode_spaces_cost_nothing_and_crash_nothing() {
    let spaces = [
        '\u{b}', '\u{c}', '\u{85}', '\u{a0}', '\u{1680}', '\u{2000}', '\u{200a}', '\u{2028}',
        '\u{2029}', '\u{202f}', '\u{205f}', '\u{3000}',
    ];
    let a = Area::new();
    for sp in spaces {
        let text = default_site().replace(
            "daily_active_users = 40",
            &format!("daily_active_users{sp}= 40\n  bogus = 1 # mail ops{sp}x@example.com"),
        );
        std::fs::write(a.repo.join("site.cci"), &text).unwrap();
        for args in [
            &["check", "site.cci"][..],
            &["check", "--message-format", "json", "site.cci"],
            &["fmt", "--check", "site.cci"],
        ] {
            let r = run_capped(&a.repo, args, b"", 1024);
            assert_ne!(r.code, Some(0), "{sp:?} {args:?}");
        }
        let tfvars = format!("aws_region = \"us{sp}west\"\nprefix = \"a{sp}b@c\"\n");
        std::fs::write(a.repo.join("t.tfvars"), tfvars).unwrap();
        run_capped(&a.repo, &["import", "t.tfvars"], b"", 1024);
        let mut lsp = Lsp::start(&a.repo);
        lsp.open(&a.repo.join("site.cci"), &text);
        lsp.stop();
    }
}

/// `-o out/` and `-o out/.` name the same link as `-o out`: refused, not followed.
#[test]
fn a_trailing_slash_does_not_open_a_planted_output_link() {
    for target in ["out/", "out/.", "./out//"] {
        let a = Area::new();
        std::fs::write(a.repo.join("site.cci"), default_site()).unwrap();
        // An empty directory: the one kind a build would write into without a manifest.
        std::fs::create_dir(a.home.join("empty")).unwrap();
        symlink(a.home.join("empty"), a.repo.join("out")).unwrap();
        let home = snapshot(&a.home);
        let r = run_in(&a.repo, &["build", "site.cci", "-o", target], b"", LIMIT);
        assert_eq!(
            snapshot(&a.home),
            home,
            "{target}: written through the link"
        );
        assert_eq!(r.code, Some(2), "{target}: {}", r.stderr);
    }
}

/// A link in the middle of a relative path (`conf/` planted as a link out of the checkout):
/// `init`, `import -o`, `build -o` and `fmt` write nothing through it.
#[test]
fn a_link_in_the_middle_of_a_path_is_not_followed() {
    let a = Area::new();
    std::fs::write(a.repo.join("site.cci"), default_site()).unwrap();
    std::fs::copy(
        crate::root().join("tests/fixtures/import/filled-in.tfvars"),
        a.repo.join("t.tfvars"),
    )
    .unwrap();
    symlink(&a.home, a.repo.join("conf")).unwrap();
    let home = snapshot(&a.home);
    for args in [
        &["init", "conf/site.cci"][..],
        &["import", "t.tfvars", "-o", "conf/imp.cci"],
        &["build", "site.cci", "-o", "conf/out"],
        &["build", "site.cci", "-o", "conf/../conf/out"],
        &["fmt", "conf/other.cci"],
    ] {
        let r = run_in(&a.repo, args, b"", LIMIT);
        assert_eq!(r.code, Some(2), "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains("symbolic link"), "{args:?}: {}", r.stderr);
    }
    assert_eq!(snapshot(&a.home), home, "written through conf/");
    // Absolute paths outside the working directory are the operator's own choice.
    let elsewhere = a.home.join("dir/out");
    let r = run_in(
        &a.repo,
        &["build", "site.cci", "-o", elsewhere.to_str().unwrap()],
        b"",
        LIMIT,
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
}

/// A header line that is not ASCII, garbage between `initialize` and `initialized`, and a
/// response before `initialize`: the server goes on serving.
#[test]
fn the_language_server_survives_garbage_at_any_time() {
    let a = Area::new();
    let mut lsp = Lsp::start_raw(&a.repo);
    lsp.send_raw(b"{\"jsonrpc\":\"2.0\",\"id\":99,\"result\":null}");
    let body = b"{\"jsonrpc\":\"2.0\",\"id\":77,\"result\":null}";
    lsp.send_raw(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes());
    lsp.send_raw(body);
    lsp.request("initialize", serde_json::json!({ "capabilities": {} }));
    lsp.send_raw(b"Content-Length: abc\r\n\r\n");
    lsp.send_raw("\u{c4}\u{c4}\u{c4}\u{c4}\u{c4}\u{c4}\u{c4}\u{c4}: 1\r\n\r\n".as_bytes());
    lsp.notify("initialized", serde_json::json!({}));
    lsp.send_raw("\u{c4}\u{c4}\u{c4}\u{c4}\u{c4}\u{c4}\u{c4}\u{c4}: 1\r\n\r\n".as_bytes());
    let d = lsp.open(&a.repo.join("site.cci"), &default_site());
    assert_eq!(d["params"]["diagnostics"], serde_json::json!([]));
    lsp.stop();
}

/// Values shaped like credentials (a GitHub token in a purpose, an AWS key in a tag or in
/// `ssh_key`, `user:password@` in a tag) are refused, so none reaches `plan` or `out/`.
#[test]
fn credential_shaped_values_never_reach_an_output() {
    let cases = [
        (
            "allow tcp 9100 from 10.20.0.0/16 to nomad \"exporter ghp_Abcdefghijklmnopqrstuvwxyz0123456789\"\n",
            "ghp_Abcdefghijklmnopqrstuvwxyz0123456789",
        ),
        (
            "allow tcp 9100 from 10.20.0.0/16 to nomad \"via ops:Pw55zz@mon.internal\"\n",
            "Pw55zz",
        ),
    ];
    let tags = [
        ("owner = \"AKIAIOSFODNN7EXAMPLE\"", "AKIAIOSFODNN7EXAMPLE"),
        ("repo = \"https://ci:Pw66zz@git.internal/x\"", "Pw66zz"),
        (
            "key = \"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\"",
            "wJalrXUtnFEMI",
        ),
    ];
    let mut sites: Vec<(String, &str)> = cases
        .iter()
        .map(|(rule, m)| (default_site() + rule, *m))
        .collect();
    for (tag, m) in tags {
        sites.push((with_in_site(&format!("  tags {{\n    {tag}\n  }}\n")), m));
    }
    sites.push((
        default_site().replace(
            "ssh_key = \"ops\"",
            "ssh_key = \"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\"",
        ),
        "wJalrXUtnFEMI",
    ));
    for (text, marker) in sites {
        let a = Area::new();
        std::fs::write(a.repo.join("site.cci"), &text).unwrap();
        let r = build(&a.repo, "site.cci");
        assert_eq!(r.code, Some(1), "{marker} was taken: {}", r.stderr);
        assert!(r.stderr.contains("E0330"), "{marker}: {}", r.stderr);
        let p = run_in(&a.repo, &["plan", "site.cci"], b"", LIMIT);
        assert!(
            !format!("{}{}{}", r.streams(), p.streams(), "").contains(marker),
            "{marker}"
        );
        assert!(!a.repo.join("out").exists());
    }
}

/// A checkout that carries its own `out/terraform/*.tf` beside the generated ones: the build
/// says, every time, that Terraform will read a file cci-dsl did not write.
#[test]
fn foreign_terraform_files_in_the_output_are_named() {
    let a = built_checkout();
    let out = a.repo.join("out");
    std::fs::write(out.join("terraform/zz-backdoor.tf"), "# not ours\n").unwrap();
    std::fs::write(out.join("terraform/x.auto.tfvars"), "a = 1\n").unwrap();
    for site in ["other.cci", "other.cci"] {
        let r = build(&a.repo, site);
        assert_eq!(r.code, Some(0), "{}", r.stderr);
        for f in ["zz-backdoor.tf", "x.auto.tfvars"] {
            assert!(r.stderr.contains(f), "{f} not named:\n{}", r.stderr);
        }
    }
}

/// Input shaped to make the masking quadratic (a word of 200,000 `@`, 20,000 lines of
/// `pw = [`) is masked in linear time.
#[test]
fn masking_is_linear() {
    let a = Area::new();
    let ats = format!("{}\nbogus = {}\n", default_site(), "@".repeat(200_000));
    let brackets = format!("{}\n{}", default_site(), "pw = [\n".repeat(20_000));
    for text in [ats, brackets] {
        std::fs::write(a.repo.join("site.cci"), &text).unwrap();
        let r = run_in(
            &a.repo,
            &["check", "site.cci"],
            b"",
            Duration::from_secs(20),
        );
        assert_eq!(r.code, Some(1));
    }
}

/// Invisible and bidirectional characters beyond the obvious ones (Arabic letter mark, soft
/// hyphen, line separator, tag characters, ...) are refused in strings too.
#[test]
fn every_invisible_character_is_refused_in_strings() {
    for c in [
        '\u{61c}',
        '\u{ad}',
        '\u{34f}',
        '\u{115f}',
        '\u{180e}',
        '\u{2028}',
        '\u{2029}',
        '\u{2061}',
        '\u{206a}',
        '\u{3164}',
        '\u{fff9}',
        '\u{e0041}',
        '\u{fe0f}',
    ] {
        let a = Area::new();
        let text = format!(
            "{}\nallow tcp 9100 from 10.20.0.0/16 to nomad \"a{c}b\"\n",
            default_site()
        );
        std::fs::write(a.repo.join("site.cci"), &text).unwrap();
        let r = build(&a.repo, "site.cci");
        assert_eq!(r.code, Some(1), "{c:?} was taken");
        assert!(r.stderr.contains("E0107"), "{c:?}: {}", r.stderr);
    }
}

/// `init` and `import -o` on a full disk leave no empty file behind (a rerun would say it
/// already exists).
#[test]
fn init_and_import_leave_nothing_on_a_full_disk() {
    let required = std::env::var("CCI_REQUIRE_VALIDATORS").is_ok_and(|v| v == "1");
    if !Command::new("unshare")
        .args(["-m", "true"])
        .status()
        .is_ok_and(|s| s.success())
    {
        assert!(
            !required,
            "unshare -m (root) is needed for the full-disk test"
        );
        return;
    }
    let a = Area::new();
    std::fs::copy(
        crate::root().join("tests/fixtures/import/filled-in.tfvars"),
        a.repo.join("t.tfvars"),
    )
    .unwrap();
    let disk = a.home.join("disk");
    std::fs::create_dir(&disk).unwrap();
    let script = r#"
        mount -t tmpfs -o size=64k tmpfs "$1" || exit 90
        dd if=/dev/zero of="$1/filler" bs=1k count=64 2>/dev/null
        cd "$2"
        "$3" init "$1/site.cci"; echo "init=$?"
        "$3" import t.tfvars -o "$1/imp.cci"; echo "import=$?"
        ls -A "$1" | tr '\n' ' '
    "#;
    let o = Command::new("unshare")
        .args(["-m", "sh", "-c", script, "sh"])
        .arg(&disk)
        .arg(&a.repo)
        .arg(env!("CARGO_BIN_EXE_cci-dsl"))
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        said.contains("init=2") && said.contains("import=2"),
        "{said}"
    );
    let listing = said.lines().last().unwrap_or("");
    assert_eq!(listing.trim(), "filler", "left behind: {listing}");
}

/// A file name that is not UTF-8: `fmt` formats that file, not its lossy look-alike.
#[test]
fn fmt_formats_the_file_it_was_given_whatever_its_name() {
    use std::os::unix::ffi::OsStrExt;
    let a = Area::new();
    let raw = a.repo.join(std::ffi::OsStr::from_bytes(b"\xff.cci"));
    let lookalike = a.repo.join("\u{fffd}.cci");
    std::fs::write(&raw, unformatted()).unwrap();
    std::fs::write(&lookalike, unformatted()).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_cci-dsl"))
        .arg("fmt")
        .arg(&raw)
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(std::fs::read_to_string(&raw).unwrap(), default_site());
    assert_eq!(std::fs::read_to_string(&lookalike).unwrap(), unformatted());
}

/// A manifest line naming a file whose contents anyone can predict (an empty hidden file, a
/// lock file, state) with its right checksum still deletes nothing cci-dsl could not have
/// written: only its own kinds of files, never a hidden one.
#[test]
fn a_forged_line_with_the_right_checksum_deletes_no_file_of_another_kind() {
    use sha2::Digest;
    let a = built_checkout();
    let out = a.repo.join("out");
    let lock = "# This file is maintained automatically by \"terraform init\".\n";
    std::fs::write(out.join("terraform/.terraform.lock.hcl"), lock).unwrap();
    std::fs::write(out.join("terraform/terraform.tfstate"), "").unwrap();
    let hex = |b: &[u8]| -> String {
        sha2::Sha256::digest(b)
            .iter()
            .map(|x| format!("{x:02x}"))
            .collect()
    };
    let mut m = std::fs::read_to_string(out.join(".cci-dsl-manifest")).unwrap();
    m.push_str(&format!(
        "{}  terraform/.terraform.lock.hcl\n",
        hex(lock.as_bytes())
    ));
    m.push_str(&format!("{}  terraform/terraform.tfstate\n", hex(b"")));
    std::fs::write(out.join(".cci-dsl-manifest"), m).unwrap();
    let r = build(&a.repo, "other.cci");
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(out.join("terraform/.terraform.lock.hcl").exists());
    assert!(out.join("terraform/terraform.tfstate").exists());
}

/// A site file planted as a link to a credentials file outside the checkout (`~/.netrc`) is
/// refused by name: a CI log would otherwise show its lines in a diagnostic's frame.
#[test]
fn a_site_linked_out_of_the_checkout_is_not_read() {
    let a = Area::new();
    std::fs::write(
        a.home.join("netrc"),
        "machine git.internal login ci password NetrcPw77\n",
    )
    .unwrap();
    symlink(a.home.join("netrc"), a.repo.join("site.cci")).unwrap();
    std::fs::write(a.repo.join("real.cci"), default_site()).unwrap();
    symlink("real.cci", a.repo.join("inside.cci")).unwrap();
    let r = run_in(&a.repo, &["check", "site.cci"], b"", LIMIT);
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert!(!r.streams().contains("NetrcPw77"), "{}", r.stderr);
    assert!(r.stderr.contains("outside"), "{}", r.stderr);
    // A link that stays in the checkout is read.
    let r = run_in(&a.repo, &["check", "inside.cci"], b"", LIMIT);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
}
