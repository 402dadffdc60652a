//! The language reference (docs/language.md), generated from the schemas the resolver reads
//! and the stdlib's names, so it cannot drift: `cci-dsl reference` prints it, and a test
//! compares it with the committed file.

use super::components::{EXTERNAL_SCHEMA, FLEET_SCHEMA, SERVICES_SCHEMA};
use super::operations::{
    BACKUP_SCHEMA, DNS_SCHEMA, PROXY_SCHEMA, S3_STATE_SCHEMA, STATE_SCHEMA, TLS_SCHEMA,
};
use super::schema::{AttrSpec, Ty};
use super::site::{AWS_SCHEMA, SITE_SCHEMA};
use crate::model::Stdlib;

/// The site's block kinds: how each is written, what it is, its attributes.
const BLOCKS: &[(&str, &str, &[AttrSpec])] = &[
    ("site \"NAME\" { ... }", "The site: where it runs, who uses it, its secret. Exactly one. Holds `aws` and optionally `tags`, `dns`, `proxy`, `tls`, `state`.", SITE_SCHEMA),
    ("site { aws { ... } }", "The AWS account, network and key the site goes into. Exactly one.", AWS_SCHEMA),
    ("site { dns { ... } }", "A Route53 A record for the services box, in an existing zone; the outputs use the name.", DNS_SCHEMA),
    ("site { proxy { ... } }", "The HTTP(S) proxy every machine goes out through: the boot, login shells, Docker, Nomad, Replicated, the app.", PROXY_SCHEMA),
    ("site { state { ... } }", "Where Terraform keeps the site's state: a `backend \"s3\"` block (the default is a local file). Holds `s3`.", STATE_SCHEMA),
    ("site { state { s3 { ... } } }", "The S3 backend: encrypted, locked with S3's lock file; a bucket of its own, never the site's CircleCI bucket (E0441).", S3_STATE_SCHEMA),
    ("site { tls { ... } }", "The certificate and key to upload in the admin console: checked, never copied into an output.", TLS_SCHEMA),
    ("services { ... }", "The services box (guide ch. 1). Exactly one. Holds optionally `backup`.", SERVICES_SCHEMA),
    ("services { backup { ... } }", "Snapshots of the services box's volumes by Data Lifecycle Manager.", BACKUP_SCHEMA),
    ("fleet NAME { ... }", "A fleet of Nomad clients: one launch template and Auto Scaling group. At least one.", FLEET_SCHEMA),
    ("external NAME { ... }", "A service run outside the services box (guide ch. 2, Externalization).", EXTERNAL_SCHEMA),
];

/// What the schema cannot say: defaults, and the forms of values a reader types itself.
const NOTES: &[(&str, &str, &str)] = &[
    ("site", "github", "`github_com`, or `enterprise(\"https://ghe.example.com\")`"),
    ("site", "passphrase", "always `secret`: given at apply time as `TF_VAR_circle_secret_passphrase`, never written in a file"),
    ("site", "bucket", "default `circleci-<site>-<account>`"),
    ("site", "vm_service", "default `false`; machine executor and remote Docker VMs"),
    ("site", "disposable", "default `false`; `true` lets `terraform destroy` delete the data (W0429)"),
    ("aws", "subnet", "one id or a list; the services box goes in the first, fleets spread over all"),
    ("aws", "subnet_ranges", "the subnets' CIDR blocks in the same order; checked to hold every machine (E0439)"),
    ("aws", "account", "12 digits, as a string; default: the account Terraform applies to"),
    ("aws", "public_ip", "default `true` (the guide's public subnet)"),
    ("s3", "key", "default `circleci/<site>.tfstate`"),
    ("s3", "region", "default: the site's region"),
    ("s3", "lock_table", "a DynamoDB table to lock with besides S3's lock file (Terraform 1.11 deprecates it; for older Terraform sharing the state)"),
    ("s3", "kms_key", "default: S3's own encryption (SSE-S3); a KMS key id, ARN or alias"),
    ("dns", "private_zone", "default: private when the record holds a private address"),
    ("proxy", "no_proxy", "added to the metadata service, the machine, its VPC, the services box and the S3 endpoint"),
    ("tls", "certificate", "`file(\"path\")`, relative to the site file: the certificate, then its intermediates"),
    ("tls", "key", "`file(\"path\")`: unencrypted PEM"),
    ("tls", "hostname", "default: the `dns` name"),
    ("services", "disk", "default: the guide's sizing row for the daily active users"),
    ("services", "ami", "default: the release's OS image, looked up"),
    ("services", "elastic_ip", "default `false`; `true`: a fixed public address for the box, which the URLs and the DNS record keep through a stop and start (W0440 without one)"),
    ("backup", "every", "hours: 1, 2, 3, 4, 6, 8, 12 or 24; default 24"),
    ("backup", "at", "UTC, `HH:MM`; default `03:00`"),
    ("fleet", "count", "`min..max` clients, or a number for a fixed size"),
    ("fleet", "disk", "default: the guide's minimum for a Nomad client"),
    ("external", "port", "default: the service's usual port (below)"),
];

fn ty_text(t: Ty) -> String {
    match t {
        Ty::Str => "string".into(),
        Ty::Int => "number".into(),
        Ty::Port => "port".into(),
        Ty::Bool => "`true` or `false`".into(),
        Ty::Size => "size (`100 GiB`)".into(),
        Ty::Bandwidth => "bandwidth (`10 Gbps`)".into(),
        Ty::Range => "range (`1..5`) or number".into(),
        Ty::Cidrs => "CIDRs or addresses, a list".into(),
        Ty::Strings => "list of strings".into(),
        Ty::Condition => "condition".into(),
        Ty::Actor => "actor".into(),
        Ty::External => "external service".into(),
        Ty::AwsId(p) => format!("AWS id `{p}-…`"),
        Ty::AwsIds(p) => format!("AWS id `{p}-…`, or a list"),
        Ty::Instance => "instance type (catalog)".into(),
        Ty::Any => "see note".into(),
    }
}

/// The block kind a schema row's notes are keyed by: `site { aws { ... } }` → `aws`.
fn kind(syntax: &str) -> &str {
    let inner = syntax.rsplit(" { ").nth(1).unwrap_or(syntax);
    inner.split([' ', '"']).next().unwrap_or(inner)
}

/// Each block kind (`site`, `aws`, `fleet`, ...) and its attribute names, for completion.
pub fn block_attributes() -> Vec<(&'static str, Vec<&'static str>)> {
    BLOCKS
        .iter()
        .map(|(syntax, _, schema)| (kind(syntax), schema.iter().map(|a| a.name).collect()))
        .collect()
}

/// The reference, as Markdown.
pub fn language_reference(lib: &Stdlib) -> String {
    let mut out = format!(
        "# The cci-dsl language\n\n\
         Generated from the schemas the compiler reads and the stdlib it embeds (`cci-dsl reference`\n\
         prints it; a test checks this file against it). `cci-dsl explain CODE` explains a\n\
         diagnostic; the grammar is [`grammar/cci.lark`](../grammar/cci.lark).\n\n\
         A site file starts with `use circleci/{}`, then holds blocks (`kind [name] {{ key = value ... }}`)\n\
         and rules (`allow ...`), in any order. `#` starts a comment.\n\n\
         Values: strings `\"...\"`, numbers, sizes `100 GiB` (B, KB, MB, GB, TB, KiB, MiB, GiB, TiB),\n\
         bandwidths `10 Gbps`, ranges `1..5`, CIDRs `10.0.0.0/8`, `2001:db8::/32` and addresses (IPv4 or IPv6), AWS ids `vpc-0a1b2c3d`,\n\
         `true`/`false`, lists `[a, b]`, `secret`, calls `enterprise(\"...\")`, `file(\"...\")`.\n",
        lib.release
    );
    for (syntax, what, schema) in BLOCKS {
        let k = kind(syntax);
        out += &format!("\n## `{syntax}`\n\n{what}\n");
        if !schema.is_empty() {
            out += "\n| attribute | type | required | example | note |\n|---|---|---|---|---|\n";
        }
        for a in *schema {
            let note = NOTES
                .iter()
                .find(|(b, n, _)| *b == k && *n == a.name)
                .map_or("", |(_, _, n)| n);
            out += &format!(
                "| `{}` | {} | {} | `{}` | {} |\n",
                a.name,
                ty_text(a.ty),
                if a.required { "yes" } else { "no" },
                a.example(lib),
                note
            );
        }
    }
    out += "\n## `tags { KEY = \"value\" ... }` (in `site`)\n\nTags on every resource, besides `circleci-site` and `generated-by`.\n";
    out += "\n## `actors { NAME = [CIDR, ...] ... }`\n\nWho the guide's port tables mean, bound to address ranges. The stdlib's actors:\n\n| actor | what |\n|---|---|\n";
    for a in lib.actors.values() {
        out += &format!("| `{}` | {} |\n", a.name, a.description);
    }
    out += "\n## External services\n\n`external NAME { ... }` takes these names (the port defaults to the one shown):\n\n| name | what | port |\n|---|---|---|\n";
    for x in lib.externals.values() {
        out += &format!(
            "| `{}` | {} | {} |\n",
            x.name, x.description, x.default_port
        );
    }
    for (name, why) in &lib.not_externalizable {
        out += &format!("\n`{name}` cannot be externalized: {why}.\n");
    }
    out += "\n## Rules\n\n    allow PROTOCOL PORTS from SOURCE to DESTINATION \"purpose\"\n\n\
            PROTOCOL is `tcp`, `udp`, `icmp` or `all` (no ports with `icmp` and `all`); PORTS a port or a\n\
            range `1000-2000`; SOURCE and DESTINATION `services`, `nomad` (every fleet), a fleet's name,\n\
            an external service, an actor, or a CIDR or address. The purpose becomes the rule's\n\
            description in AWS.\n";
    out += "\n## Instance types\n\n`instance` takes a type of the stdlib's catalog (a site may declare others with\n`instance_type \"NAME\" { vcpu = 8  memory = 32 GiB  network = \"Up to 10 Gigabit\"  bandwidth = 10 Gbps }`):\n\n";
    let names: Vec<String> = lib
        .instance_types
        .keys()
        .map(|n| format!("`{n}`"))
        .collect();
    out += &names.join(", ");
    out += "\n";
    out
}

#[cfg(test)]
mod tests {
    use super::{kind, BLOCKS, NOTES};

    /// A note for an attribute no schema has would document nothing.
    #[test]
    fn every_note_is_for_an_attribute_of_a_schema() {
        for (block, attr, _) in NOTES {
            let found = BLOCKS.iter().any(|(syntax, _, schema)| {
                kind(syntax) == *block && schema.iter().any(|a| a.name == *attr)
            });
            assert!(found, "note for {block}.{attr}, which no schema has");
        }
        assert_eq!(kind("site { aws { ... } }"), "aws");
        assert_eq!(kind("fleet NAME { ... }"), "fleet");
        assert_eq!(kind("site \"NAME\" { ... }"), "site");
    }
}
