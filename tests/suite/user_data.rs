//! What EC2 receives as user-data (issue 16, item 1): no comments, gzipped, and a coded
//! diagnostic when its size, as Terraform sends it, is over EC2's limit or near it.

use cci_core::emit::user_data::{self, UserDataSize};
use std::io::Read;
use std::process::Command;

/// The proxied example with `n` more `no_proxy` hosts of its own, each a name gzip cannot
/// shorten much (a fixed pseudo-random sequence, so the test is the same every time).
fn proxied_with_hosts(n: usize) -> String {
    let site = std::fs::read_to_string(crate::root().join("examples/proxied.cci")).unwrap();
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut hosts = Vec::new();
    for _ in 0..n {
        let mut label = String::new();
        for _ in 0..10 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            label.push(b"abcdefghijklmnopqrstuvwxyz0123456789"[(state % 36) as usize] as char);
        }
        hosts.push(format!("\"{label}.example.net\""));
    }
    let from = "no_proxy = [\".corp.example.com\"]";
    assert!(site.contains(from));
    site.replace(
        from,
        &format!("no_proxy = [\".corp.example.com\", {}]", hosts.join(", ")),
    )
}

fn sizes_of(site: &str) -> (Vec<UserDataSize>, cci_core::Build) {
    let b = cci_core::build("site.cci", site, &cci_core::stdlib::embedded());
    let c = &b.compilation;
    let sizes = match (&c.site, &b.outputs) {
        (Some(s), Some(out)) => user_data::sizes(s, &c.stdlib, out),
        _ => Vec::new(),
    };
    (sizes, b)
}

#[test]
fn user_data_ships_no_comments() {
    for path in crate::examples() {
        let out = crate::build_file(&path).outputs.expect("builds");
        for file in ["cloud-init/services.yaml", "cloud-init/nomad-client.yaml"] {
            for line in out.files[file].lines() {
                let t = line.trim_start();
                let directive = t.starts_with("#!")
                    || t == "#cloud-config"
                    || (t.starts_with("# shellcheck ")
                        && !t["# shellcheck ".len()..].contains('#'));
                assert!(
                    !t.starts_with('#') || directive,
                    "{}: {file} ships a comment: {line}",
                    path.display()
                );
            }
        }
    }
}

#[test]
fn every_example_fits_ec2s_user_data_limit_with_room() {
    let lib = cci_core::compile("x.cci", "", &cci_core::stdlib::embedded()).stdlib;
    for path in crate::examples() {
        let text = std::fs::read_to_string(&path).unwrap();
        let (sizes, b) = sizes_of(&text);
        assert!(b.outputs.is_some(), "{}", crate::rendered(&b.compilation));
        assert_eq!(sizes.len(), 2);
        for s in &sizes {
            eprintln!(
                "{}: {} {} bytes rendered, {} sent",
                path.display(),
                s.file,
                s.rendered,
                s.sent
            );
            assert!(
                s.sent < s.rendered / 2,
                "{}: gzip halves it at least",
                s.file
            );
            assert!((s.sent as u64) < lib.user_data.warn_above, "{s:?}");
        }
    }
}

/// Past the limit the build stops with E0602 naming the largest parts; a little below it,
/// W0603 warns and the outputs are written. `check` says the same as `build`.
#[test]
fn a_site_over_the_user_data_limit_is_an_error_and_one_near_it_a_warning() {
    let lib = cci_core::compile("x.cci", "", &cci_core::stdlib::embedded()).stdlib;
    let (limit, warn) = (
        lib.user_data.limit as usize,
        lib.user_data.warn_above as usize,
    );
    // The smallest number of hosts past each line, found by bisection on the real build.
    let sent = |n: usize| {
        let (sizes, _) = sizes_of(&proxied_with_hosts(n));
        sizes.iter().map(|s| s.sent).max().unwrap_or(usize::MAX)
    };
    let first_over = |line: usize| {
        let (mut lo, mut hi) = (0, 4000);
        assert!(sent(hi) > line, "4000 hosts pass {line} bytes");
        while hi - lo > 1 {
            let mid = (lo + hi) / 2;
            if sent(mid) > line {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        hi
    };
    let (warned_from, refused_from) = (first_over(warn), first_over(limit));
    assert!(warned_from < refused_from);

    let over = proxied_with_hosts(refused_from);
    let b = cci_core::build("site.cci", &over, &cci_core::stdlib::embedded());
    let shown = crate::rendered(&b.compilation);
    assert!(b.outputs.is_none(), "no outputs over the limit");
    assert!(shown.contains("E0602"), "{shown}");
    assert!(shown.contains("the Nomad clients"), "{shown}");
    let unwrapped: String = shown.split_whitespace().collect();
    assert!(
        unwrapped.contains("/etc/circleci/proxy.env") && unwrapped.contains("`no_proxy`entries"),
        "it names what takes the room: {shown}"
    );

    let near = proxied_with_hosts(warned_from);
    let b = cci_core::build("site.cci", &near, &cci_core::stdlib::embedded());
    let shown = crate::rendered(&b.compilation);
    assert!(b.outputs.is_some(), "a warning still builds: {shown}");
    assert!(
        shown.contains("W0603") && !shown.contains("E0602"),
        "{shown}"
    );

    // The command line: check reports it as build does, and exits 1.
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("over.cci");
    std::fs::write(&site, &over).unwrap();
    for args in [vec!["check"], vec!["build", "-o", "out"]] {
        let o = Command::new(env!("CARGO_BIN_EXE_cci-dsl"))
            .current_dir(dir.path())
            .args(&args[..1])
            .arg(&site)
            .args(&args[1..])
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains("E0602"), "{args:?}: {err}");
    }
    assert!(!dir.path().join("out").exists(), "build wrote nothing");
}

/// The size cci-dsl computes is the size Terraform sends: `base64gzip(templatefile(...))`
/// evaluated by Terraform itself on every example's files and on a site near the limit,
/// with the same longest values.
#[test]
fn the_size_checked_is_the_size_terraform_sends() {
    let Some(env_sh) = crate::installed_tool("TERRAFORM", "Terraform is") else {
        return;
    };
    let mut sites: Vec<(String, String)> = crate::examples()
        .into_iter()
        .map(|p| {
            (
                p.display().to_string(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect();
    sites.push(("proxied with 1,200 hosts".into(), proxied_with_hosts(1200)));
    for (name, text) in sites {
        let b = cci_core::build("site.cci", &text, &cci_core::stdlib::embedded());
        let c = &b.compilation;
        let out = b.outputs.as_ref().expect("builds");
        let site = c.site.as_ref().unwrap();
        let dir = tempfile::tempdir().unwrap();
        for size in user_data::sizes(site, &c.stdlib, out) {
            std::fs::write(dir.path().join("user-data.yaml"), &out.files[&size.file]).unwrap();
            let values = user_data::longest_values(site, &c.stdlib);
            let vars: Vec<String> = values
                .iter()
                .map(|(k, v)| format!("{k} = \"{v}\""))
                .collect();
            let expr = format!(
                "base64gzip(templatefile(\"user-data.yaml\", {{ {} }}))\n",
                vars.join(", ")
            );
            let o = Command::new("bash")
                .arg("-c")
                .arg(r#". "$1" && printf '%s' "$2" | TF_CLI_CONFIG_FILE=/dev/null CHECKPOINT_DISABLE=1 "$TERRAFORM" console -no-color"#)
                .arg("console")
                .arg(&env_sh)
                .arg(&expr)
                .current_dir(dir.path())
                .output()
                .expect("bash runs");
            let shown = String::from_utf8_lossy(&o.stdout);
            let sent = data_encoding::BASE64
                .decode(shown.trim().trim_matches('"').as_bytes())
                .unwrap_or_else(|_| {
                    panic!(
                        "{name}: terraform console said {shown}{}",
                        String::from_utf8_lossy(&o.stderr)
                    )
                });
            // What Terraform sends unpacks to what cci-dsl measured.
            let mut unpacked = String::new();
            flate2::read::GzDecoder::new(&sent[..])
                .read_to_string(&mut unpacked)
                .expect("Terraform's base64gzip is gzip");
            assert_eq!(
                unpacked,
                user_data::templatefile(&out.files[&size.file], &values),
                "{name}: {}",
                size.file
            );
            let terraform = sent.len();
            eprintln!(
                "{name}: {} cci-dsl {} bytes, Terraform {terraform}",
                size.file, size.sent
            );
            // The two deflaters differ a little; W0603's margin (1 KiB) covers far more.
            let diff = size.sent.abs_diff(terraform);
            assert!(
                diff * 100 <= terraform * 2,
                "{name}: {}: cci-dsl counts {} bytes, Terraform sends {terraform}",
                size.file,
                size.sent
            );
        }
    }
}
