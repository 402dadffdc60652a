//! The release's facts (stdlib/circleci-2.16/release.cci): what a 2.16 site runs, that each
//! fact reaches exactly the outputs that use it, and that none is written in Rust.

use std::collections::{BTreeMap, BTreeSet};

fn example(name: &str) -> String {
    std::fs::read_to_string(crate::root().join("examples").join(name)).unwrap()
}

/// A site whose machines bring an image of their own.
fn with_own_images(site: &str) -> String {
    site.replace("services {", "services {\n  ami = ami-0123abcd")
        .replace("fleet nomad {", "fleet nomad {\n  ami = ami-0123abcd")
}

fn build(site: &str, lib: &[(String, String)]) -> BTreeMap<String, String> {
    let b = cci_core::build("site.cci", site, lib);
    b.outputs
        .unwrap_or_else(|| panic!("{}", crate::rendered(&b.compilation)))
        .files
}

/// The output files that differ between two builds (added, removed or changed).
fn changed(a: &BTreeMap<String, String>, b: &BTreeMap<String, String>) -> BTreeSet<String> {
    a.keys()
        .chain(b.keys())
        .filter(|k| a.get(*k) != b.get(*k))
        .cloned()
        .collect()
}

/// The stdlib with every `from` replaced by `to`; `count` is how often `from` must occur.
fn edited(from: &str, to: &str, count: usize) -> Vec<(String, String)> {
    let mut lib = cci_core::stdlib::embedded();
    let found: usize = lib.iter().map(|(_, t)| t.matches(from).count()).sum();
    assert_eq!(found, count, "`{from}` occurs {found} times in the stdlib");
    for (_, text) in lib.iter_mut() {
        *text = text.replace(from, to);
    }
    lib
}

#[test]
fn the_default_site_runs_what_circleci_server_2_16_ran() {
    let out = build(&example("default.cci"), &cci_core::stdlib::embedded());
    let nomad = &out["cloud-init/nomad-client.yaml"];
    let services = &out["cloud-init/services.yaml"];
    // enterprise-setup 8e36728, the last commit before the guide (2019-02-07).
    assert!(nomad.contains(
        "NOMAD_URL='https://releases.hashicorp.com/nomad/0.5.6/nomad_0.5.6_linux_amd64.zip'"
    ));
    assert!(nomad.contains("datacenter = \"us-east-1\""));
    assert!(nomad.contains("node_class = \"linux-64bit\""));
    assert!(nomad.contains("DOCKER_VERSION='17.03.2~ce-0~ubuntu-xenial'"));
    assert!(nomad.contains("\"userns-remap\": \"default\""));
    assert!(services.contains("DOCKER_VERSION='17.12.1~ce-0~ubuntu'"));
    assert!(services.contains("REPLICATED_VERSION='2.29.0'"));
    // Without a site proxy, Replicated is installed as ES did: `no-proxy`, Docker already there.
    assert!(services.contains("REPLICATED_PROXY=no-proxy\n"));
    assert!(services.contains(
        "local-address=\"$PRIVATE_IP\" \"$REPLICATED_PROXY\" $REPLICATED_NO_PROXY no-docker"
    ));
    assert!(
        !services.contains("proxy.env\n    owner"),
        "no proxy files without a proxy"
    );
    assert!(out["terraform/services.tf"]
        .contains("\"ubuntu/images/hvm-ssd/ubuntu-xenial-16.04-amd64-server-*\""));
    // Nomad 0.5.6's CLI: `node-drain`, not 0.8's `node drain`; its download is verified.
    assert!(nomad.contains("nomad node-drain -self -enable"));
    assert!(!nomad.contains("nomad node drain"));
    assert!(nomad.contains("sha256sum -c -"));
    // Clients join the Nomad server on the services box.
    assert!(nomad.contains("servers    = [\"${services_private_ip}:4647\"]"));
}

#[test]
fn clients_of_a_site_with_external_nomad_servers_join_those_servers() {
    let out = build(&example("externalized.cci"), &cci_core::stdlib::embedded());
    let nomad = &out["cloud-init/nomad-client.yaml"];
    assert!(nomad
        .contains("servers    = [\"10.30.6.10:4647\", \"10.30.6.11:4647\", \"10.30.6.12:4647\"]"));
    assert!(!nomad.contains("services_private_ip"));
    let lt = &out["terraform/nomad.tf"];
    assert!(
        !lt.contains("aws_instance.services"),
        "clients do not wait for the services box"
    );
}

#[test]
fn the_ami_lookup_exists_only_when_a_machine_uses_it() {
    let lib = cci_core::stdlib::embedded();
    let looked_up = build(&example("default.cci"), &lib);
    assert!(looked_up["terraform/services.tf"].contains("data \"aws_ami\" \"os\""));
    assert!(looked_up["terraform/services.tf"].contains("include_deprecated = true"));
    let own = build(&with_own_images(&example("default.cci")), &lib);
    for (file, text) in &own {
        assert!(!text.contains("aws_ami.os"), "{file} looks up an image");
        assert!(!text.contains("hvm-ssd/ubuntu"), "{file} searches by name");
    }
    // The fleet's own image is read by its id for its root device (issue 16, item 4): the
    // launch template names no device of its own.
    let nomad = &own["terraform/nomad.tf"];
    assert!(
        nomad.contains("data \"aws_ami\" \"nomad_nomad\""),
        "{nomad}"
    );
    assert!(
        nomad.contains("name   = \"image-id\"\n    values = [\"ami-0123abcd\"]"),
        "{nomad}"
    );
    assert!(
        nomad.contains("device_name = data.aws_ami.nomad_nomad.root_device_name"),
        "{nomad}"
    );
    assert!(!nomad.contains("device_name = \"/dev/"), "{nomad}");
    assert!(!own["terraform/services.tf"].contains("data \"aws_ami\""));
}

/// What a fact edit does: (what, site, stdlib text, replacement, occurrences, files it changes).
type FactEdit<'a> = (&'a str, &'a str, &'a str, &'a str, usize, &'a [&'a str]);

/// Each product fact, edited in a copy of the stdlib, changes exactly the output files that use
/// it: every one of them, and no other.
#[test]
fn every_release_fact_reaches_exactly_the_files_that_use_it() {
    const NOMAD: &str = "cloud-init/nomad-client.yaml";
    const SERVICES: &str = "cloud-init/services.yaml";
    let default = example("default.cci");
    // Users from anywhere, administrators from a private range.
    let public_users = example("internet-facing.cci")
        .replace("admins = [198.51.100.0/26]", "admins = [10.10.0.0/24]");
    assert!(public_users.contains("admins = [10.10.0.0/24]"));
    #[rustfmt::skip]
    let cases: &[FactEdit] = &[
        ("Nomad version", &default, "version    = \"0.5.6\"", "version    = \"0.5.7\"", 1, &[NOMAD]),
        ("Nomad download", &default, "url        = \"https://releases.hashicorp.com/nomad/0.5.6/", "url        = \"https://mirror.example/nomad/0.5.6/", 1, &[NOMAD]),
        ("Nomad checksum", &default, "3f5210f0bcddf04e", "0000000000000000", 1, &[NOMAD]),
        ("Nomad datacenter", &default, "\n  datacenter = \"us-east-1\"", "\n  datacenter = \"dc1\"", 1, &[NOMAD]),
        ("Nomad node class", &default, "node_class = \"linux-64bit\"", "node_class = \"linux\"", 1, &[NOMAD]),
        ("Nomad HTTP port", &default, "http_port  = 4646", "http_port  = 4656", 1, &[NOMAD]),
        ("drain timeout", &default, "drain_timeout_seconds = 300", "drain_timeout_seconds = 1800", 1, &[NOMAD, "terraform/nomad.tf"]),
        ("build bridges", &default, "\"docker0\", \"ci-privileged\", \"br-+\"", "\"docker0\", \"ci-privileged\"", 1, &[NOMAD]),
        ("Nomad ports kept from builds", &default, "nomad_last_port  = 4648", "nomad_last_port  = 4649", 1, &[NOMAD]),
        ("ranges kept from builds", &default, "blocked          = [169.254.0.0/16]", "blocked          = [169.254.169.254]", 1, &[NOMAD]),
        ("resolver builds may ask", &default, "resolver         = 169.254.169.253", "resolver         = 169.254.169.250", 1, &[NOMAD]),
        ("Docker's chains", &default, "[\"DOCKER-USER\", \"DOCKER-ISOLATION\"]", "[\"DOCKER-USER\", \"DOCKER-ISOLATION-STAGE-1\"]", 1, &[NOMAD]),
        ("who sees the rerun address", &public_users, "advertised_to = users", "advertised_to = admins", 1, &[NOMAD]),
        ("Nomad servers' RPC port", &default, "4647", "4747", 9, &[NOMAD, "terraform/security-groups.tf", "security-groups.json", "ports.md", "graph/resources.dot", "graph/resources.mmd", "graph/network.dot", "graph/network.mmd"]),
        ("services Docker", &default, "docker = \"17.12.1~ce-0~ubuntu\"", "docker = \"18.09.3~3-0~ubuntu-xenial\"", 1, &[SERVICES]),
        ("clients' Docker", &default, "docker = \"17.03.2~ce-0~ubuntu-xenial\"", "docker = \"18.09.3~3-0~ubuntu-xenial\"", 1, &[NOMAD]),
        ("Docker repository", &default, "repository      = \"https://download.docker.com/linux/ubuntu\"", "repository      = \"https://mirror.example/docker\"", 1, &[NOMAD, SERVICES]),
        ("Docker channel", &default, "channel         = \"stable\"", "channel         = \"edge\"", 1, &[NOMAD, SERVICES]),
        ("Docker key", &default, "9DC858229FC7DD38854AE2D88D81803C0EBFCD88", "0000000000000000000000000000000000000000", 1, &[NOMAD, SERVICES]),
        ("Docker key URL", &default, "key_url         = \"https://download.docker.com/linux/ubuntu/gpg\"", "key_url         = \"https://mirror.example/gpg\"", 1, &[NOMAD, SERVICES]),
        ("Replicated version", &default, "version   = \"2.29.0\"", "version   = \"2.38.6\"", 1, &[SERVICES]),
        ("Replicated installer", &default, "installer = \"https://get.replicated.com/docker\"", "installer = \"https://mirror.example/replicated\"", 1, &[SERVICES]),
        ("AMI name pattern", &default, "ubuntu-xenial-16.04-amd64-server-*", "ubuntu-bionic-18.04-amd64-server-*", 1, &["terraform/services.tf"]),
        ("AMI owner", &default, "ami_owner   = \"099720109477\"", "ami_owner   = \"123456789012\"", 1, &["terraform/services.tf"]),
        ("login user", &default, "login_user  = \"ubuntu\"", "login_user  = \"admin\"", 1, &["terraform/outputs.tf"]),
        ("admin console URL", &default, "value       = \"https://{address}:{port}/\"", "value       = \"https://{address}:{port}/console\"", 1, &["terraform/outputs.tf"]),
        ("admin console port", &default, "  port        = 8800\n", "  port        = 8443\n", 1, &["terraform/outputs.tf"]),
        ("IAM document name", &default, "file        = \"services-role-policy.json\"", "file        = \"services-runtime.json\"", 1, &["iam/services-role-policy.json", "iam/services-runtime.json", "terraform/iam.tf"]),
        ("services metadata hop limit", &default, "metadata_hop_limit = 2", "metadata_hop_limit = 3", 1, &["terraform/services.tf"]),
        ("clients' metadata hop limit", &default, "metadata_hop_limit = 1", "metadata_hop_limit = 2", 1, &["terraform/nomad.tf"]),
    ];
    let embedded = cci_core::stdlib::embedded();
    for (what, site, from, to, count, files) in cases {
        let before = build(site, &embedded);
        let after = build(site, &edited(from, to, *count));
        let expected: BTreeSet<String> = files.iter().map(|f| f.to_string()).collect();
        assert_eq!(
            changed(&before, &after),
            expected,
            "{what}: `{from}` -> `{to}`"
        );
    }
}

/// The port clients join must be open from the fleets to the servers: the compiler says so
/// when an edited stdlib moves one without the other.
#[test]
fn a_nomad_server_port_no_rule_opens_is_an_error() {
    let lib = edited(
        "externalizable nomad_servers { description = \"Nomad servers\"       port = 4647 }",
        "externalizable nomad_servers { description = \"Nomad servers\"       port = 4747 }",
        1,
    );
    let b = cci_core::build("site.cci", &example("default.cci"), &lib);
    assert!(b.outputs.is_none());
    let shown = crate::rendered(&b.compilation);
    assert!(
        shown.contains("E0420") && shown.contains("port 4747"),
        "{shown}"
    );
}

/// Mistakes in an edited stdlib's release blocks are reported like a site's.
#[test]
fn a_malformed_checksum_or_an_unknown_actor_in_the_stdlib_is_an_error() {
    let site = example("default.cci");
    for (from, to, code) in [
        ("3f5210f0bcddf04e", "3f5210f0", "E0315"),
        ("advertised_to = users", "advertised_to = user", "E0214"),
        (
            "  reached_by  = admins\n",
            "  reached_by  = operators\n",
            "E0214",
        ),
    ] {
        let count = if code == "E0214" && from.contains("reached_by") {
            2
        } else {
            1
        };
        let b = cci_core::build("site.cci", &site, &edited(from, to, count));
        let shown = crate::rendered(&b.compilation);
        assert!(
            b.outputs.is_none() && shown.contains(code),
            "{from}: {shown}"
        );
    }
}

/// An output that points at a port its actor may not reach is reported.
#[test]
fn an_output_nobody_may_reach_is_a_warning() {
    let lib = edited("  port        = 8800\n", "  port        = 8443\n", 1);
    let b = cci_core::build("site.cci", &example("default.cci"), &lib);
    let shown = crate::rendered(&b.compilation);
    assert!(
        shown.contains("W0419") && shown.contains("port 8443"),
        "{shown}"
    );
}

/// No product fact of the stdlib is written in the Rust code of any crate: versions,
/// checksums, image patterns, device names, datacenters, the ports of the guide's tables, EBS's
/// volume bounds, instance types and the release id (anywhere outside comments and tests), and
/// the names of actors and components (externalizable services and the ones that are not) as a
/// word of a string (`"admins"`, a help's `` `nomad_servers` ``, `"external(postgres)"`).
#[test]
fn no_product_fact_of_the_stdlib_is_written_in_rust() {
    let b = cci_core::compile(
        "site.cci",
        &example("default.cci"),
        &cci_core::stdlib::embedded(),
    );
    let lib = &b.stdlib;
    let facts = stdlib_facts(lib);
    assert!(facts.len() > 80, "the stdlib's facts were read");
    let names = stdlib_names(lib);
    assert!(names.len() > 8, "the stdlib's names were read");
    let mut found = Vec::new();
    for (p, text) in production_rust() {
        let shown = p.strip_prefix(crate::root()).unwrap().display().to_string();
        let mut facts = facts.clone();
        // The embedded stdlib is found by its directory, which names the release.
        if shown == "crates/cci-core/src/stdlib.rs" {
            facts.remove(&lib.release);
        }
        found.extend(facts_in_rust(&shown, &text, &facts, &names));
    }
    assert!(
        found.is_empty(),
        "product facts in Rust:\n{}",
        found.join("\n")
    );
}

/// Where `text` (a file's production Rust) holds one of `facts` as a word, or one of `names`
/// as a word of a string literal; comments are skipped.
fn facts_in_rust(
    shown: &str,
    text: &str,
    facts: &BTreeSet<String>,
    names: &BTreeSet<String>,
) -> Vec<String> {
    let mut found = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("//") {
            continue;
        }
        let literals = string_literals(line);
        for fact in facts.iter().filter(|f| has_word(line, f)) {
            found.push(format!("{shown}:{}: {fact}", n + 1));
        }
        for name in names {
            // A fixture's file name (`"check/admins-open.cci"`) names no fact.
            let in_text = literals.iter().filter(|l| !l.ends_with(".cci"));
            if in_text.clone().any(|l| has_name(l, name)) {
                found.push(format!("{shown}:{}: {name}", n + 1));
            }
        }
    }
    found
}

/// The scan finds each kind of fact planted in Rust, and not in a comment or as part of a
/// longer word.
#[test]
fn the_fact_scan_finds_each_kind_of_fact_planted_in_rust() {
    let facts: BTreeSet<String> = ["m5.4xlarge", "2.16", "16 TiB", "4647"]
        .map(String::from)
        .into();
    let names: BTreeSet<String> = ["admins", "postgres", "nomad_servers"]
        .map(String::from)
        .into();
    let scan = |line: &str| facts_in_rust("x.rs", line, &facts, &names);
    let planted = [
        ("let t = \"m5.4xlarge\";", "m5.4xlarge"),
        ("help(format!(\"pick m5.4xlarge or larger\"))", "m5.4xlarge"),
        ("const RELEASE: &str = \"2.16\";", "2.16"),
        ("req(\"volume_max\", Ty::Size, \"16 TiB\"),", "16 TiB"),
        ("if port == 4647 {", "4647"),
        ("if a.name == \"admins\" {", "admins"),
        ("\"help: add `nomad_servers`\"", "nomad_servers"),
        ("example = \"external(postgres)\";", "postgres"),
        ("\"two `external postgres { ... }` blocks\"", "postgres"),
    ];
    for (line, fact) in planted {
        assert_eq!(scan(line), [format!("x.rs:1: {fact}")], "{line}");
    }
    let innocent = [
        "// the guide's m5.4xlarge, release 2.16",
        "let v = \"m5.4xlarge2\"; let w = 12.16; let p = 46470;",
        "let admins = lib.administrators();",
        "fn nomad_servers(site: &Site) {}",
        "\"postgresql_admins\"",
    ];
    for line in innocent {
        assert!(scan(line).is_empty(), "{line}: {:?}", scan(line));
    }
}

/// The string literals of one line of Rust (what stands between unescaped quotes).
fn string_literals(line: &str) -> Vec<String> {
    let mut literals = Vec::new();
    let (mut inside, mut escaped, mut current) = (false, false, String::new());
    for c in line.chars() {
        match (inside, escaped, c) {
            (true, false, '\\') => escaped = true,
            (true, false, '"') => {
                literals.push(std::mem::take(&mut current));
                inside = false;
            }
            (true, ..) => {
                current.push(c);
                escaped = false;
            }
            (false, _, '"') => inside = true,
            _ => {}
        }
    }
    literals
}

/// Whether `name` stands in a string as a word of its own (`_` is part of a word).
fn has_name(literal: &str, name: &str) -> bool {
    stands_alone(literal, name, '_')
}

/// The stdlib's facts a line of Rust must not hold as a word.
fn stdlib_facts(lib: &cci_core::model::Stdlib) -> BTreeSet<String> {
    let mut facts: BTreeSet<String> = [
        &lib.release,
        &lib.nomad.version,
        &lib.nomad.url,
        &lib.nomad.sha256,
        &lib.nomad.datacenter,
        &lib.nomad.node_class,
        &lib.docker.repository,
        &lib.docker.key_url,
        &lib.docker.key_fingerprint,
        &lib.replicated.version,
        &lib.replicated.installer,
        &lib.os.ami_owner,
        &lib.os.ami_name,
        &lib.services_machine.docker,
        &lib.nomad_machine.docker,
        &lib.user_data.longest_ipv4,
        &lib.user_data.longest_security_group_id,
        &lib.user_data.queue_url,
    ]
    .into_iter()
    .chain(&lib.build_isolation.bridges)
    .chain(&lib.build_isolation.docker_chains)
    .chain(lib.instance_types.keys())
    .cloned()
    .collect();
    facts.extend(lib.build_isolation.blocked.iter().map(|n| n.to_string()));
    facts.extend(lib.build_isolation.resolver.map(|a| a.to_string()));
    facts.insert(lib.nomad.http_port.to_string());
    // EBS's volume bounds, as sizes read (`8 GiB`).
    let limits = &lib.aws_limits;
    facts.extend(
        [limits.volume_min_bytes, limits.volume_max_bytes].map(cci_core::values::human_bytes),
    );
    // Ports of the guide's tables and the outputs; below 1024 they are too common a number
    // (22, 80, 443) to tell apart from other uses, and 65535 is every port range's end.
    let ports = lib
        .rules
        .iter()
        .filter_map(|r| r.ports)
        .flat_map(|(a, b)| [a, b])
        .chain(lib.outputs.iter().map(|o| o.port))
        .chain(lib.externals.values().map(|e| e.default_port));
    facts.extend(
        ports
            .filter(|p| *p >= 1024 && *p != u16::MAX)
            .map(|p| p.to_string()),
    );
    facts
}

/// The names of the stdlib's actors and components (the services it lets run outside the
/// services box, and the ones it does not), but those that are words of the language or of
/// English too, which code spells for that: `users` (the sizing tables' attribute, and `plan`'s
/// JSON key), `github` (the site's attribute), `dns` (the site's block) and `internet` ("open to
/// the internet").
fn stdlib_names(lib: &cci_core::model::Stdlib) -> BTreeSet<String> {
    const LANGUAGE: &[&str] = &["users", "github", "dns", "internet"];
    lib.actors
        .keys()
        .chain(lib.externals.keys())
        .chain(lib.not_externalizable.keys())
        .filter(|n| !LANGUAGE.contains(&n.as_str()))
        .cloned()
        .collect()
}

/// Every crate's Rust (the binary's `src/` and `crates/*/src/`), each file up to its tests.
fn production_rust() -> Vec<(std::path::PathBuf, String)> {
    crate::files_under("src")
        .into_iter()
        .chain(crate::files_under("crates"))
        .filter(|(p, _)| p.extension().is_some_and(|e| e == "rs"))
        // A module's tests in a file of their own (`#[cfg(test)] mod tests;`).
        .filter(|(p, _)| p.file_name().is_none_or(|n| n != "tests.rs"))
        .map(|(p, text)| {
            let production = text
                .split("\n#[cfg(test)]")
                .next()
                .unwrap_or("")
                .to_string();
            (p, production)
        })
        .collect()
}

/// Whether `fact` stands in `line` as a word of its own (not inside a longer name or number).
fn has_word(line: &str, fact: &str) -> bool {
    stands_alone(line, fact, '.')
}

/// Whether `word` stands in `text` with no letter, digit or `joiner` on either side.
fn stands_alone(text: &str, word: &str, joiner: char) -> bool {
    let part = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == joiner);
    text.match_indices(word).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + word.len()..].chars().next();
        !part(before) && !part(after)
    })
}
