//! Writing the site: what it will say (each value with the comment beside it), laid out as
//! `cci-dsl fmt` would, values quoted as the language reads them and tfvars text masked.

use crate::DEFAULT_DAILY_ACTIVE_USERS;
use cci_core::model::{Condition, Stdlib};
use cci_core::parse::OPEN_DECISION;
use std::collections::BTreeSet;

/// A value as a site string literal; `None` when the language's strings cannot hold it
/// (control characters other than newline and tab, which it escapes).
pub(crate) fn quoted(s: &str) -> Option<String> {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => return None,
            c => out.push(c),
        }
    }
    out.push('"');
    Some(out)
}

/// Text from the tfvars as a note or a `#` comment may show it: on one line, nothing a
/// terminal would interpret, and what looks like a credential (an AWS access key id, a URL's
/// `user:password`, a PEM block) masked, as diagnostics mask it.
pub(crate) fn shown(s: &str) -> String {
    let masked = cci_core::display::shown_text(s, &cci_core::secrets::secret_ranges(s));
    cci_core::display::escaped(&masked)
        .replace('\n', "\\n")
        .replace('\t', "\\t")
}

/// A value of the site with the comment beside it.
#[derive(Default)]
pub(crate) struct Field {
    pub(crate) value: String,
    pub(crate) comment: Option<String>,
}

impl Field {
    pub(crate) fn new(value: impl Into<String>, comment: impl Into<String>) -> Field {
        Field {
            value: value.into(),
            comment: Some(comment.into()).filter(|c: &String| !c.is_empty()),
        }
    }
}

/// A rule the site needs so that the services box reaches its proxy.
pub(crate) struct ProxyRule {
    pub(crate) port: u16,
    pub(crate) to: String,
    pub(crate) todo: bool,
}

/// What the site will say.
#[derive(Default)]
pub(crate) struct Site {
    pub(crate) name: Field,
    pub(crate) region: Field,
    pub(crate) vpc: Field,
    pub(crate) subnet: Field,
    pub(crate) ssh_key: Field,
    pub(crate) disposable: Option<Field>,
    /// Comment lines of a `dns` block left for the operator to complete.
    pub(crate) dns: Vec<String>,
    pub(crate) proxy_http: Option<String>,
    pub(crate) proxy_https: Option<String>,
    pub(crate) no_proxy: Vec<String>,
    pub(crate) proxy_rules: Vec<ProxyRule>,
    pub(crate) services_instance: Field,
    pub(crate) ami: Option<Field>,
    pub(crate) nomad_instance: Field,
    pub(crate) count: (u64, u64),
}

/// One line of a block: `key = value  # comment`, a comment, a blank, a nested block.
pub(crate) enum Item {
    Attr(String, String, Option<String>),
    Comment(String),
    Blank,
    Block(String, Vec<Item>),
}

pub(crate) fn attr(key: &str, field: &Field) -> Item {
    Item::Attr(key.to_string(), field.value.clone(), field.comment.clone())
}

pub(crate) fn render_block(head: &str, items: &[Item], indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    out.push_str(&format!("{pad}{head} {{\n"));
    let inner = " ".repeat(indent + 2);
    let key_width = items
        .iter()
        .filter_map(|i| match i {
            Item::Attr(k, _, _) => Some(k.len()),
            _ => None,
        })
        .max()
        .unwrap_or(0);
    let comment_col = items
        .iter()
        .filter_map(|i| match i {
            Item::Attr(_, v, Some(_)) => Some(key_width + 3 + v.len()),
            _ => None,
        })
        .max()
        .unwrap_or(0);
    for item in items {
        match item {
            Item::Attr(k, v, comment) => {
                let line = format!("{k:key_width$} = {v}");
                match comment {
                    Some(c) => {
                        out.push_str(&format!("{inner}{line:comment_col$}  # {}\n", shown(c)))
                    }
                    None => out.push_str(&format!("{inner}{line}\n")),
                }
            }
            Item::Comment(c) => out.push_str(&format!("{inner}# {}\n", shown(c))),
            Item::Blank => out.push('\n'),
            Item::Block(h, items) => render_block(h, items, indent + 2, out),
        }
    }
    out.push_str(&format!("{pad}}}\n"));
}

/// The site file, before `cci-dsl fmt` lays it out.
pub(crate) fn render(site: &Site, source_name: &str, lib: &Stdlib) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "# Imported by `cci-dsl import` from {} (CircleCI's enterprise-setup Terraform).\n",
        shown(source_name)
    ));
    out.push_str(
        "# Every TODO below needs a decision (`cci-dsl check` reports each until its comment is\n\
         # deleted); the import printed what it did not carry over, and why. Nothing secret was copied.\n",
    );
    out.push_str(&format!("use circleci/{}\n\n", lib.release));
    let head = match &site.name.comment {
        Some(c) => format!("# {}\nsite \"{}\"", shown(c), site.name.value),
        None => format!("site \"{}\"", site.name.value),
    };
    render_block(&head, &site_block(site), 0, &mut out);
    proxy_rules(site, &mut out);
    actors(lib, &mut out);
    machines(site, lib, &mut out);
    out
}

/// The `site` block's items: `aws`, the settings enterprise-setup did not have, `dns` (to
/// complete) and `proxy`.
fn site_block(site: &Site) -> Vec<Item> {
    let mut items = vec![
        Item::Block(
            "aws".into(),
            vec![
                attr("region", &site.region),
                attr("vpc", &site.vpc),
                attr("subnet", &site.subnet),
                attr("ssh_key", &site.ssh_key),
            ],
        ),
        Item::Comment(format!(
            "{OPEN_DECISION}: enterprise-setup had no such setting; {DEFAULT_DAILY_ACTIVE_USERS} is the guide's example. Set your number:"
        )),
        Item::Comment("it sizes the services box and the Nomad fleet's count.".into()),
        Item::Attr(
            "daily_active_users".into(),
            DEFAULT_DAILY_ACTIVE_USERS.to_string(),
            None,
        ),
        Item::Attr(
            "github".into(),
            "github_com".into(),
            Some("or enterprise(\"https://...\"); enterprise-setup left it to the console".into()),
        ),
        Item::Attr(
            "passphrase".into(),
            "secret".into(),
            Some("at apply time: TF_VAR_circle_secret_passphrase".into()),
        ),
        Item::Attr(
            "vm_service".into(),
            "true".into(),
            Some("enterprise-setup always made the VMs' security group".into()),
        ),
    ];
    if let Some(d) = &site.disposable {
        items.push(attr("disposable", d));
    }
    if !site.dns.is_empty() {
        items.push(Item::Blank);
        items.extend(site.dns.iter().map(|l| Item::Comment(l.clone())));
    }
    if let Some(proxy) = proxy_block(site) {
        items.push(Item::Blank);
        items.push(proxy);
    }
    items
}

/// `proxy { http https no_proxy }`, when the tfvars gave a proxy.
fn proxy_block(site: &Site) -> Option<Item> {
    if site.proxy_http.is_none() && site.proxy_https.is_none() {
        return None;
    }
    let url = |key: &str, u: &Option<String>| {
        u.as_ref()
            .map(|u| Item::Attr(key.into(), quoted(u).unwrap_or_default(), None))
    };
    let mut p: Vec<Item> = [
        url("http", &site.proxy_http),
        url("https", &site.proxy_https),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !site.no_proxy.is_empty() {
        let list: Vec<String> = site
            .no_proxy
            .iter()
            .map(|e| quoted(e).unwrap_or_default())
            .collect();
        p.push(Item::Attr(
            "no_proxy".into(),
            format!("[{}]", list.join(", ")),
            None,
        ));
    }
    Some(Item::Block("proxy".into(), p))
}

/// The rules that let the services box reach a proxy on a port other than 80 and 443.
fn proxy_rules(site: &Site, out: &mut String) {
    if site.proxy_rules.is_empty() {
        return;
    }
    out.push_str("\n# The services box reaches the internet on 80 and 443 only (the guide's rules); the proxy\n# listens elsewhere.\n");
    let ports: BTreeSet<u16> = site.proxy_rules.iter().map(|r| r.port).collect();
    for port in ports {
        for r in site.proxy_rules.iter().filter(|r| r.port == port) {
            if r.todo {
                out.push_str(&format!("# {OPEN_DECISION}: any address, as enterprise-setup allowed; narrow it to the proxy's address.\n"));
            }
            out.push_str(&format!(
                "allow tcp {} from services to {} \"The HTTP proxy (enterprise-setup's http_proxy/https_proxy)\"\n",
                r.port, r.to
            ));
        }
    }
}

/// The actors every site binds (the guide's end users and administrators), in the stdlib's
/// order: enterprise-setup opened their ports to every address.
pub(crate) fn bound_to_every_address(lib: &Stdlib) -> Vec<&str> {
    lib.actors_in_order()
        .into_iter()
        .filter(|a| a.required == Condition::Always)
        .map(|a| a.name.as_str())
        .collect()
}

fn actors(lib: &Stdlib, out: &mut String) {
    out.push_str(&format!(
        "\n# {OPEN_DECISION}: enterprise-setup opened SSH, the web app, the admin console and SSH into\n\
         # builds to every address; these bindings keep that. Narrow them to the ranges that need\n\
         # them (offices, VPN, the VPC), then delete this comment.\n",
    ));
    let every_address: Vec<Item> = bound_to_every_address(lib)
        .into_iter()
        .map(|a| Item::Attr(a.into(), "[0.0.0.0/0]".into(), None))
        .collect();
    render_block("actors", &every_address, 0, out);
}

/// `services` and `fleet nomad`, with enterprise-setup's root volumes.
fn machines(site: &Site, lib: &Stdlib, out: &mut String) {
    let es = &lib.enterprise_setup;
    let disk = |gib: u64| {
        Item::Attr(
            "disk".into(),
            format!("{gib} GiB"),
            Some("enterprise-setup's root volume".into()),
        )
    };
    out.push('\n');
    let mut services = vec![
        attr("instance", &site.services_instance),
        disk(es.services_disk_gib),
    ];
    services.extend(site.ami.as_ref().map(|a| attr("ami", a)));
    render_block("services", &services, 0, out);

    out.push('\n');
    let (min, max) = site.count;
    let mut fleet = vec![
        attr("instance", &site.nomad_instance),
        Item::Comment(format!(
            "{OPEN_DECISION}: the guide's table for {DEFAULT_DAILY_ACTIVE_USERS} daily active users (enterprise-setup ran 0 to 2, 1 wanted)."
        )),
        Item::Attr("count".into(), format!("{min}..{max}"), None),
        disk(es.nomad_disk_gib),
    ];
    fleet.extend(site.ami.as_ref().map(|a| attr("ami", a)));
    render_block("fleet nomad", &fleet, 0, out);
}
