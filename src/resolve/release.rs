//! The library's release blocks: what one CircleCI Server release runs and how it is reached
//! (`release`, `os`, `docker_repository`, `nomad_client`, `replicated`, `machine`, `output`).
//! Each block kind has one reader over its attributes; every attribute is required, so an
//! edited stdlib that drops one is told so instead of emitting an empty value.

use super::*;

/// The release blocks a stdlib must hold exactly once, with an example for the help.
const REQUIRED: &[(&str, &str, &str)] = &[
    ("release", "", "release \"...\" { guide = \"...\" }"),
    ("os", "", "os ubuntu { ... }"),
    ("docker_repository", "", "docker_repository { ... }"),
    ("nomad_client", "", "nomad_client { ... }"),
    ("replicated", "", "replicated { ... }"),
    ("machine", "services", "machine services { ... }"),
    ("machine", "nomad", "machine nomad { ... }"),
];

/// Reports each required release block the library lacks, at the start of its first file.
pub(super) fn require_release_blocks(seen: &Seen, at: Span, diags: &mut Diagnostics) {
    for (kind, name, example) in REQUIRED {
        if !seen
            .names
            .contains_key(&(kind.to_string(), name.to_string()))
        {
            let what = if name.is_empty() {
                format!("`{kind}`")
            } else {
                format!("`{kind} {name}`")
            };
            diags.push(
                Diagnostic::error(Code::E0208, at, format!("the stdlib has no {what} block"))
                    .label("in the stdlib this site is compiled against")
                    .help(format!(
                        "add `{example}` (see stdlib/circleci-2.16/release.cci)"
                    )),
            );
        }
    }
}

pub(super) fn read_release(lib: &mut Stdlib, seen: &mut Seen, b: &Block, diags: &mut Diagnostics) {
    let Some(name) = label(b, diags, "\"2.16\"") else {
        return;
    };
    if !seen.first("release", "", b.span, diags) {
        return;
    }
    let f = fields(
        "`release`",
        b.span,
        &b.entries,
        &["guide"],
        &[],
        false,
        diags,
    );
    f.string(
        "guide",
        "\"CircleCI Server v2.16 Installation Guide\"",
        diags,
    );
    lib.release = name.node;
}

pub(super) fn read_os(lib: &mut Stdlib, seen: &mut Seen, b: &Block, diags: &mut Diagnostics) {
    let Some(name) = label(b, diags, "ubuntu") else {
        return;
    };
    if !seen.first("os", "", b.span, diags) {
        return;
    }
    let keys = [
        "description",
        "ami_owner",
        "ami_name",
        "root_device",
        "login_user",
    ];
    let f = fields("`os`", b.span, &b.entries, &keys, &[], false, diags);
    let [description, ami_owner, ami_name, root_device, login_user] =
        keys.map(|k| text(&f, k, diags));
    lib.os = Os {
        name: name.node,
        description,
        ami_owner,
        ami_name,
        root_device,
        login_user,
    };
}

pub(super) fn read_docker(lib: &mut Stdlib, seen: &mut Seen, b: &Block, diags: &mut Diagnostics) {
    no_labels(b, diags);
    if !seen.first("docker_repository", "", b.span, diags) {
        return;
    }
    let keys = ["repository", "channel", "key_url", "key_fingerprint"];
    let f = fields(
        "`docker_repository`",
        b.span,
        &b.entries,
        &keys,
        &[],
        false,
        diags,
    );
    let [repository, channel, key_url] =
        ["repository", "channel", "key_url"].map(|k| text(&f, k, diags));
    let key_fingerprint = hex(
        &f,
        "key_fingerprint",
        40,
        "write the fingerprint without spaces, as `gpg --with-colons` prints it",
        diags,
    );
    lib.docker = DockerRepository {
        repository,
        channel,
        key_url,
        key_fingerprint,
    };
}

pub(super) fn read_nomad(lib: &mut Stdlib, seen: &mut Seen, b: &Block, diags: &mut Diagnostics) {
    no_labels(b, diags);
    if !seen.first("nomad_client", "", b.span, diags) {
        return;
    }
    let keys = [
        "version",
        "url",
        "sha256",
        "datacenter",
        "node_class",
        "http_port",
        "advertised_to",
        "drain_timeout_seconds",
    ];
    let f = fields(
        "`nomad_client`",
        b.span,
        &b.entries,
        &keys,
        &[],
        false,
        diags,
    );
    let [version, url, datacenter, node_class] =
        ["version", "url", "datacenter", "node_class"].map(|k| text(&f, k, diags));
    let sha256 = hex(
        &f,
        "sha256",
        64,
        "copy the line for the linux_amd64 zip from HashiCorp's SHA256SUMS file",
        diags,
    );
    let http_port = f
        .int("http_port", "<port>", diags)
        .map_or(0, |(p, s)| port_u16(p, s, diags));
    let advertised_to = actor_name(&f, "advertised_to", lib, diags);
    // AWS accepts a lifecycle hook's heartbeat timeout between 30 seconds and 2 hours.
    let drain_timeout_seconds = f
        .int("drain_timeout_seconds", "<seconds>", diags)
        .map_or(0, |(n, span)| {
            if !(30..=7200).contains(&n) {
                diags.push(
                    Diagnostic::error(Code::E0309, span, format!("a drain timeout of {n} seconds"))
                        .label("Auto Scaling takes 30..7200 seconds")
                        .help("the lifecycle hook's heartbeat timeout is at least 30 seconds and at most 2 hours"),
                );
            }
            n
        });
    lib.nomad = NomadClient {
        version,
        url,
        sha256,
        datacenter,
        node_class,
        http_port,
        advertised_to,
        drain_timeout_seconds,
    };
}

pub(super) fn read_replicated(
    lib: &mut Stdlib,
    seen: &mut Seen,
    b: &Block,
    diags: &mut Diagnostics,
) {
    no_labels(b, diags);
    if !seen.first("replicated", "", b.span, diags) {
        return;
    }
    let keys = ["version", "installer"];
    let f = fields("`replicated`", b.span, &b.entries, &keys, &[], false, diags);
    let [version, installer] = keys.map(|k| text(&f, k, diags));
    lib.replicated = Replicated { version, installer };
}

pub(super) fn read_machine(lib: &mut Stdlib, seen: &mut Seen, b: &Block, diags: &mut Diagnostics) {
    let Some(name) = label(b, diags, "services") else {
        return;
    };
    let slot = match name.node.as_str() {
        "services" => &mut lib.services_machine,
        "nomad" => &mut lib.nomad_machine,
        other => {
            diags.push(
                Diagnostic::error(
                    Code::E0217,
                    name.span,
                    format!("unknown machine role `{other}`"),
                )
                .label("not a machine this compiler provisions")
                .help(
                    did_you_mean(other, ["services", "nomad"])
                        .unwrap_or_else(|| "the roles are `services` and `nomad`".into()),
                ),
            );
            return;
        }
    };
    if !seen.first("machine", &name.node, name.span, diags) {
        return;
    }
    let keys = [
        "docker",
        "metadata_tokens",
        "metadata_hop_limit",
        "metadata_reason",
        "volume_type",
        "termination_protection",
    ];
    let f = fields(
        format!("machine `{}`", name.node),
        b.span,
        &b.entries,
        &keys,
        &[],
        false,
        diags,
    );
    let [docker, metadata_tokens, metadata_reason, volume_type] = [
        "docker",
        "metadata_tokens",
        "metadata_reason",
        "volume_type",
    ]
    .map(|k| text(&f, k, diags));
    let metadata_hop_limit = f.int("metadata_hop_limit", "1", diags).map_or(1, |v| v.0);
    let termination_protection = match f.get("termination_protection") {
        None => {
            f.missing("termination_protection", "true", diags);
            false
        }
        Some(_) => f.opt_bool("termination_protection", diags).unwrap_or(false),
    };
    *slot = Machine {
        docker,
        metadata_tokens,
        metadata_hop_limit,
        metadata_reason,
        volume_type,
        termination_protection,
    };
}

pub(super) fn read_output(lib: &mut Stdlib, seen: &mut Seen, b: &Block, diags: &mut Diagnostics) {
    let Some(name) = label(b, diags, "install_url") else {
        return;
    };
    if !seen.first("output", &name.node, name.span, diags) {
        return;
    }
    let keys = ["description", "value", "port", "reached_by"];
    let f = fields(
        format!("output `{}`", name.node),
        b.span,
        &b.entries,
        &keys,
        &[],
        false,
        diags,
    );
    let [description, value] = ["description", "value"].map(|k| text(&f, k, diags));
    let port = f
        .int("port", "<port>", diags)
        .map_or(0, |(p, s)| port_u16(p, s, diags));
    let reached_by = actor_name(&f, "reached_by", lib, diags);
    lib.outputs.push(OutputDef {
        name: name.node,
        description,
        value,
        port,
        reached_by,
        span: b.span,
    });
}

/// A required string attribute; empty when missing or mistyped (reported either way).
fn text(f: &Fields, key: &str, diags: &mut Diagnostics) -> String {
    f.string(key, "\"...\"", diags)
        .map(|s| s.node)
        .unwrap_or_default()
}

/// A required string of `digits` hexadecimal digits (a key fingerprint, a checksum).
fn hex(f: &Fields, key: &str, digits: usize, help: &str, diags: &mut Diagnostics) -> String {
    let s = text(f, key, diags);
    let ok = s.len() == digits && s.chars().all(|c| c.is_ascii_hexdigit());
    if let (false, false, Some(v)) = (s.is_empty(), ok, f.get(key)) {
        diags.push(
            Diagnostic::error(
                Code::E0315,
                v.span,
                format!("`{key}` is not {digits} hexadecimal digits"),
            )
            .label(format!("{} characters", s.len()))
            .help(help),
        );
    }
    s
}

/// A required attribute naming an actor the library declares (actors come first in the
/// stdlib, so they are known here).
fn actor_name(f: &Fields, key: &str, lib: &Stdlib, diags: &mut Diagnostics) -> String {
    let Some(v) = f.required(key, "users", diags) else {
        return String::new();
    };
    match &v.node {
        Value::Ident(n) if lib.actors.contains_key(n) => n.clone(),
        Value::Ident(n) => {
            diags.push(
                Diagnostic::error(Code::E0214, v.span, format!("unknown actor `{n}`"))
                    .label("no actor of this name")
                    .help(
                        did_you_mean(n, lib.actors.keys().map(String::as_str))
                            .unwrap_or_else(|| "name an actor the stdlib declares".into()),
                    ),
            );
            String::new()
        }
        other => {
            type_error(v.span, "an actor's name", other, "users", diags);
            String::new()
        }
    }
}
