//! The library's release blocks: what one CircleCI Server release runs and how it is reached
//! (`release`, `os`, `docker_repository`, `nomad_client`, `replicated`, `machine`, `output`).
//! Each block kind has one reader over its attributes; every attribute is required, so an
//! edited stdlib that drops one is told so instead of emitting an empty value.

use super::library::{label, Seen};
use super::schema::{opt, read, req, AttrSpec, Ty, Values};
use crate::ast::Block;
use crate::codes::Code;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::model::{
    BuildIsolation, DockerRepository, EnterpriseSetup, Machine, NomadClient, Os, OutputDef,
    ProxyExceptions, Replicated, Stdlib, UserDataLimits,
};
use crate::span::Span;
use crate::values::GIB;

/// The release blocks a stdlib must hold exactly once, with an example for the help.
const REQUIRED: &[(&str, &str, &str)] = &[
    ("release", "", "release \"...\" { guide = \"...\" }"),
    ("os", "", "os ubuntu { ... }"),
    ("docker_repository", "", "docker_repository { ... }"),
    ("nomad_client", "", "nomad_client { ... }"),
    ("replicated", "", "replicated { ... }"),
    ("machine", "services", "machine services { ... }"),
    ("machine", "nomad", "machine nomad { ... }"),
    ("aws_limits", "", "aws_limits { ... }"),
    ("build_isolation", "", "build_isolation { ... }"),
    ("user_data", "", "user_data { ... }"),
    ("enterprise_setup", "", "enterprise_setup { ... }"),
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
                Diagnostic::new(Code::E0208, at, format!("the stdlib has no {what} block"))
                    .label("in the stdlib this site is compiled against")
                    .help(format!(
                        "add `{example}` (see the embedded stdlib's release.cci)"
                    )),
            );
        }
    }
}

pub(super) fn read_release(lib: &mut Stdlib, seen: &mut Seen, b: &Block, diags: &mut Diagnostics) {
    const SCHEMA: &[AttrSpec] = &[req(
        "guide",
        Ty::Str,
        "\"<the installation guide's title and date>\"",
    )];
    let Some(name) = label(b, diags, "\"<release>\"") else {
        return;
    };
    if seen.first("release", "", b.span, diags) {
        read("`release`", b, SCHEMA, &[], lib, diags);
        lib.release = name.node;
    }
}

pub(super) fn read_os(lib: &mut Stdlib, seen: &mut Seen, b: &Block, diags: &mut Diagnostics) {
    const SCHEMA: &[AttrSpec] = &[
        req("description", Ty::Str, "\"<name and version>\""),
        req("ami_owner", Ty::Str, "\"<account id of the image owner>\""),
        req("ami_name", Ty::Str, "\"<image name pattern>\""),
        req("login_user", Ty::Str, "\"<user>\""),
    ];
    let Some(name) = label(b, diags, "ubuntu") else {
        return;
    };
    if !seen.first("os", "", b.span, diags) {
        return;
    }
    let (v, _) = read("`os`", b, SCHEMA, &[], lib, diags);
    let s = |k: &str| v.str(k).unwrap_or_default();
    lib.os = Os {
        name: name.node,
        description: s("description"),
        ami_owner: s("ami_owner"),
        ami_name: s("ami_name"),
        login_user: s("login_user"),
    };
}

pub(super) fn read_docker(lib: &mut Stdlib, seen: &mut Seen, b: &Block, diags: &mut Diagnostics) {
    const SCHEMA: &[AttrSpec] = &[
        req("repository", Ty::Str, "\"<apt repository URL>\""),
        req("channel", Ty::Str, "\"stable\""),
        req("key_url", Ty::Str, "\"<signing key URL>\""),
        req("key_fingerprint", Ty::Str, "\"<40 hexadecimal digits>\""),
    ];
    let Some((v, _)) = seen.single("docker_repository", b, SCHEMA, &[], lib, diags) else {
        return;
    };
    let s = |k: &str| v.str(k).unwrap_or_default();
    lib.docker = DockerRepository {
        repository: s("repository"),
        channel: s("channel"),
        key_url: s("key_url"),
        key_fingerprint: hex(
            &v,
            "key_fingerprint",
            40,
            "write the fingerprint without spaces, as `gpg --with-colons` prints it",
            diags,
        ),
    };
}

pub(super) fn read_nomad(lib: &mut Stdlib, seen: &mut Seen, b: &Block, diags: &mut Diagnostics) {
    const SCHEMA: &[AttrSpec] = &[
        req("version", Ty::Str, "\"...\""),
        req(
            "url",
            Ty::Str,
            "\"https://releases.hashicorp.com/nomad/...\"",
        ),
        req("sha256", Ty::Str, "\"<64 hexadecimal digits>\""),
        req("datacenter", Ty::Str, "\"...\""),
        req("node_class", Ty::Str, "\"...\""),
        req("http_port", Ty::Port, "<port>"),
        req("advertised_to", Ty::Actor, "<actor>"),
        req("servers", Ty::External, "<service>"),
        req("drain_timeout_seconds", Ty::Int, "<seconds>"),
    ];
    let Some((v, _)) = seen.single("nomad_client", b, SCHEMA, &[], lib, diags) else {
        return;
    };
    let s = |k: &str| v.str(k).unwrap_or_default();
    lib.nomad = NomadClient {
        version: s("version"),
        url: s("url"),
        sha256: hex(
            &v,
            "sha256",
            64,
            "copy the line for the linux_amd64 zip from HashiCorp's SHA256SUMS file",
            diags,
        ),
        datacenter: s("datacenter"),
        node_class: s("node_class"),
        http_port: v.port("http_port").unwrap_or(0),
        advertised_to: v.actor("advertised_to").unwrap_or_default(),
        servers: v.external("servers").unwrap_or_default(),
        drain_timeout_seconds: drain_timeout(&v, diags),
    };
}

/// AWS accepts a lifecycle hook's heartbeat timeout between 30 seconds and 2 hours.
fn drain_timeout(v: &Values, diags: &mut Diagnostics) -> u64 {
    let (Some(n), Some(span)) = (
        v.int("drain_timeout_seconds"),
        v.span("drain_timeout_seconds"),
    ) else {
        return 0;
    };
    if !(30..=7200).contains(&n) {
        diags.push(
            Diagnostic::new(Code::E0309, span, format!("a drain timeout of {n} seconds"))
                .label("Auto Scaling takes 30..7200 seconds")
                .help("the lifecycle hook's heartbeat timeout is at least 30 seconds and at most 2 hours"),
        );
    }
    n
}

pub(super) fn read_build_isolation(
    lib: &mut Stdlib,
    seen: &mut Seen,
    b: &Block,
    diags: &mut Diagnostics,
) {
    const SCHEMA: &[AttrSpec] = &[
        req("bridges", Ty::Strings, "[\"<interface>\"]"),
        req("nomad_first_port", Ty::Port, "<port>"),
        req("nomad_last_port", Ty::Port, "<port>"),
        req("blocked", Ty::Cidrs, "[<CIDR>]"),
        req("resolver", Ty::Cidrs, "<address>"),
        req("docker_chains", Ty::Strings, "[\"<chain>\"]"),
    ];
    let Some((v, _)) = seen.single("build_isolation", b, SCHEMA, &[], lib, diags) else {
        return;
    };
    let first = v.port("nomad_first_port").unwrap_or(0);
    let last = v.port("nomad_last_port").unwrap_or(0);
    if let (true, Some(span)) = (first > last, v.span("nomad_last_port")) {
        diags.push(
            Diagnostic::new(
                Code::E0302,
                span,
                format!("Nomad's ports {first} to {last}"),
            )
            .label("below the first port")
            .help("`nomad_last_port` is the last of the range that starts at `nomad_first_port`"),
        );
    }
    lib.build_isolation = BuildIsolation {
        bridges: v.strings("bridges").unwrap_or_default(),
        nomad_ports: (first, last),
        // iptables (IPv4): the isolation's ranges are IPv4 ones; Docker 17.03 gives containers
        // no IPv6 unless told to.
        blocked: v
            .cidrs("blocked")
            .unwrap_or_default()
            .into_iter()
            .filter_map(|n| match n {
                ipnet::IpNet::V4(n) => Some(n),
                ipnet::IpNet::V6(_) => None,
            })
            .collect(),
        resolver: v
            .cidrs("resolver")
            .and_then(|c| c.first().map(|n| n.addr()))
            .and_then(|a| match a {
                std::net::IpAddr::V4(a) => Some(a),
                std::net::IpAddr::V6(_) => None,
            }),
        docker_chains: v.strings("docker_chains").unwrap_or_default(),
    };
}

pub(super) fn read_user_data(
    lib: &mut Stdlib,
    seen: &mut Seen,
    b: &Block,
    diags: &mut Diagnostics,
) {
    const SCHEMA: &[AttrSpec] = &[
        req("limit", Ty::Size, "<size>"),
        req("warn_above", Ty::Size, "<size>"),
        req("longest_ipv4", Ty::Str, "\"<address>\""),
        req("longest_security_group_id", Ty::Str, "\"sg-...\""),
        req("longest_account_id", Ty::Str, "\"<12 digits>\""),
        req(
            "queue_url",
            Ty::Str,
            "\"https://sqs.{region}.../{account}/{queue}\"",
        ),
    ];
    let Some((v, _)) = seen.single("user_data", b, SCHEMA, &[], lib, diags) else {
        return;
    };
    let s = |k: &str| v.str(k).unwrap_or_default();
    lib.user_data = UserDataLimits {
        // A limit that failed to read checks nothing rather than everything.
        limit: v.bytes("limit").unwrap_or(u64::MAX),
        warn_above: v.bytes("warn_above").unwrap_or(u64::MAX),
        longest_ipv4: s("longest_ipv4"),
        longest_security_group_id: s("longest_security_group_id"),
        longest_account_id: s("longest_account_id"),
        queue_url: s("queue_url"),
    };
}

pub(super) fn read_replicated(
    lib: &mut Stdlib,
    seen: &mut Seen,
    b: &Block,
    diags: &mut Diagnostics,
) {
    const SCHEMA: &[AttrSpec] = &[
        req("version", Ty::Str, "\"...\""),
        req("installer", Ty::Str, "\"<install script URL>\""),
    ];
    let Some((v, _)) = seen.single("replicated", b, SCHEMA, &[], lib, diags) else {
        return;
    };
    lib.replicated = Replicated {
        version: v.str("version").unwrap_or_default(),
        installer: v.str("installer").unwrap_or_default(),
    };
}

pub(super) fn read_proxy_exceptions(
    lib: &mut Stdlib,
    seen: &mut Seen,
    b: &Block,
    diags: &mut Diagnostics,
) {
    const SCHEMA: &[AttrSpec] = &[
        req("always", Ty::Strings, "[\"localhost\"]"),
        req(
            "with_s3_endpoint",
            Ty::Strings,
            "[\"s3.{region}.amazonaws.com\"]",
        ),
    ];
    let Some((v, _)) = seen.single("proxy_exceptions", b, SCHEMA, &[], lib, diags) else {
        return;
    };
    lib.proxy_exceptions = ProxyExceptions {
        always: v.strings("always").unwrap_or_default(),
        with_s3_endpoint: v.strings("with_s3_endpoint").unwrap_or_default(),
    };
}

pub(super) fn read_machine(lib: &mut Stdlib, seen: &mut Seen, b: &Block, diags: &mut Diagnostics) {
    const SCHEMA: &[AttrSpec] = &[
        // Not `Ty::Instance`: the machines are read before the instance catalog (a stdlib test
        // checks the type is in it).
        req("instance", Ty::Str, "\"<instance type>\""),
        req("docker", Ty::Str, "\"...\""),
        req("metadata_tokens", Ty::Str, "\"required\""),
        req("metadata_hop_limit", Ty::Int, "1"),
        req("metadata_reason", Ty::Str, "\"...\""),
        req("volume_type", Ty::Str, "\"gp3\""),
        req("termination_protection", Ty::Bool, "true"),
        opt("named_for", Ty::Actor, "<actor>"),
    ];
    let Some(name) = label(b, diags, "services") else {
        return;
    };
    let is_services = match name.node.as_str() {
        "services" => true,
        "nomad" => false,
        other => {
            diags.push(
                Diagnostic::new(
                    Code::E0217,
                    name.span,
                    format!("unknown machine role `{other}`"),
                )
                .label("not a machine this compiler provisions")
                .help_name(other, name.span, ["services", "nomad"], || {
                    "the roles are `services` and `nomad`".into()
                }),
            );
            return;
        }
    };
    if !seen.first("machine", &name.node, name.span, diags) {
        return;
    }
    let (v, _) = read(
        format!("machine `{}`", name.node),
        b,
        SCHEMA,
        &[],
        lib,
        diags,
    );
    let s = |k: &str| v.str(k).unwrap_or_default();
    let machine = Machine {
        instance: s("instance"),
        docker: s("docker"),
        metadata_tokens: s("metadata_tokens"),
        metadata_hop_limit: v.int("metadata_hop_limit").unwrap_or(1),
        metadata_reason: s("metadata_reason"),
        volume_type: s("volume_type"),
        termination_protection: v.bool("termination_protection").unwrap_or(false),
        named_for: v.actor("named_for"),
    };
    if is_services {
        lib.services_machine = machine;
    } else {
        lib.nomad_machine = machine;
    }
}

pub(super) fn read_output(lib: &mut Stdlib, seen: &mut Seen, b: &Block, diags: &mut Diagnostics) {
    const SCHEMA: &[AttrSpec] = &[
        req("description", Ty::Str, "\"...\""),
        req("value", Ty::Str, "\"https://{address}/\""),
        req("port", Ty::Port, "<port>"),
        req("reached_by", Ty::Actor, "<actor>"),
    ];
    let Some((name, v, _)) = seen.named("output", "install_url", b, SCHEMA, &[], lib, diags) else {
        return;
    };
    lib.outputs.push(OutputDef {
        name: name.node,
        description: v.str("description").unwrap_or_default(),
        value: v.str("value").unwrap_or_default(),
        port: v.port("port").unwrap_or(0),
        reached_by: v.actor("reached_by").unwrap_or_default(),
        span: b.span,
    });
}

/// What enterprise-setup gave a site its tfvars leave unsaid, for `cci-dsl import`.
pub(super) fn read_enterprise_setup(
    lib: &mut Stdlib,
    seen: &mut Seen,
    b: &Block,
    diags: &mut Diagnostics,
) {
    const SCHEMA: &[AttrSpec] = &[
        req("prefix", Ty::Str, "\"<prefix>\""),
        // Strings, not `Ty::Instance`: read before the instance catalog (a stdlib test checks).
        req("services_instance", Ty::Str, "\"<instance type>\""),
        req("nomad_instance", Ty::Str, "\"<instance type>\""),
        req("services_disk", Ty::Size, "150 GiB"),
        req("nomad_disk", Ty::Size, "200 GiB"),
    ];
    let Some((v, _)) = seen.single("enterprise_setup", b, SCHEMA, &[], lib, diags) else {
        return;
    };
    let s = |k: &str| v.str(k).unwrap_or_default();
    let gib = |k: &str| v.bytes(k).unwrap_or(0) / GIB;
    lib.enterprise_setup = EnterpriseSetup {
        prefix: s("prefix"),
        services_instance: s("services_instance"),
        nomad_instance: s("nomad_instance"),
        services_disk_gib: gib("services_disk"),
        nomad_disk_gib: gib("nomad_disk"),
    };
}

/// A string of `digits` hexadecimal digits (a key fingerprint, a checksum).
fn hex(v: &Values, key: &str, digits: usize, help: &str, diags: &mut Diagnostics) -> String {
    let s = v.str(key).unwrap_or_default();
    let ok = s.len() == digits && s.chars().all(|c| c.is_ascii_hexdigit());
    if let (false, false, Some(span)) = (s.is_empty(), ok, v.span(key)) {
        diags.push(
            Diagnostic::new(
                Code::E0315,
                span,
                format!("`{key}` is not {digits} hexadecimal digits"),
            )
            .label(format!("{} characters", s.len()))
            .help(help),
        );
    }
    s
}
