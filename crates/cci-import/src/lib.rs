//! `cci-dsl import`: a `terraform.tfvars` of CircleCI's hand-written Terraform (enterprise-setup,
//! the guide's release at `8e36728`, and the variables later and earlier releases added) into an
//! equivalent site file, and a report of what became of every variable.
//!
//! Pure: text in, text and notes out. The tfvars are read by `hcl-rs`; the site is checked with
//! the embedded stdlib before it is returned, and whatever `check` would refuse is reported.
//!
//! Secrets never leave this module: the passphrase becomes `passphrase = secret`, the AWS keys
//! are dropped, and neither their values nor those of unknown variables (which may be secrets)
//! nor a proxy URL holding credentials appear in the site, a note or an error.

use std::collections::{BTreeSet, HashSet};
use std::fmt;
use std::net::Ipv4Addr;

use hcl::eval::{Context, Evaluate};
use hcl::Value;

// The language's own rules for these values: a value is carried over only when the site takes it.
use cci_core::shapes::{
    no_proxy_entry, proxy_url_problem, url_host_port as host_port, valid_aws_id, valid_dns_name,
};

/// The site written, and what became of each variable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Imported {
    pub site_text: String,
    /// In the order of the tfvars, then what the site needs that the tfvars cannot say.
    pub report: Vec<Note>,
}

/// What became of one variable (or, with no variable, of something the site needs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    pub kind: NoteKind,
    pub variable: Option<String>,
    pub message: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoteKind {
    /// In the site, with the same meaning.
    Carried,
    /// In the site, but someone must decide or do something (a placeholder, a guess).
    Todo,
    /// Not in the site; the message says why.
    NotCarried,
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            NoteKind::Carried => "carried",
            NoteKind::Todo => "todo",
            NoteKind::NotCarried => "not carried",
        };
        // A tfvars file is input: its names reach a terminal, so nothing in them is replayed.
        let message = cci_core::display::escaped(&self.message);
        match &self.variable {
            Some(v) => write!(f, "{kind}: {}: {message}", cci_core::display::escaped(v)),
            None => write!(f, "{kind}: {message}"),
        }
    }
}

/// The tfvars could not be read as HCL, or are not a tfvars file. Never holds a value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportError {
    pub message: String,
    /// One-based, where the parser says.
    pub line: Option<usize>,
    pub column: Option<usize>,
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let message = cci_core::display::escaped(&self.message);
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(f, "line {l}, column {c}: {message}"),
            (Some(l), None) => write!(f, "line {l}: {message}"),
            _ => f.write_str(&message),
        }
    }
}

impl std::error::Error for ImportError {}

/// enterprise-setup's defaults at the guide's release (`8e36728`, variables.tf), used where the
/// tfvars leave a variable out: the install it describes ran with them.
const ES_PREFIX: &str = "circleci";
const ES_SERVICES_TYPE: &str = "m4.2xlarge";
const ES_NOMAD_TYPE: &str = "m4.xlarge";
/// Root volumes enterprise-setup gives the machines (circleci.tf, modules/nomad/main.tf).
const ES_SERVICES_DISK_GIB: u64 = 150;
const ES_NOMAD_DISK_GIB: u64 = 200;
/// The guide's example; the tfvars have no such figure.
const DEFAULT_DAILY_ACTIVE_USERS: u64 = 40;

/// Every variable enterprise-setup's main line declared, at any commit (variables.tf, and
/// circleci.tf / main.tf before December 2017).
const KNOWN: &[&str] = &[
    "aws_access_key",
    "aws_secret_key",
    "aws_region",
    "aws_vpc_id",
    "aws_subnet_id",
    "aws_ssh_key_name",
    "enable_govcloud",
    "circle_secret_passphrase",
    "services_ami",
    "services_instance_type",
    "builder_instance_type",
    "max_builders_count",
    "desired_builders_count",
    "legacy_builder_spot_price",
    "builder_image",
    "base_services_image",
    "enable_nomad",
    "nomad_client_instance_type",
    "max_clients_count",
    "prefix",
    "services_disable_api_termination",
    "services_delete_on_termination",
    "force_destroy_s3_bucket",
    "destroy_s3_bucket",
    "enable_route",
    "route_name",
    "route_zone_id",
    "http_proxy",
    "https_proxy",
    "no_proxy",
    "services_user_data_enabled",
    "ubuntu_ami",
    "enable_ansible_provisioning",
    "ansible_extra_vars",
];

const NO_CREDENTIALS: &str = "never copied or shown: use an instance profile or your AWS profile instead (the generated Terraform's provider takes the default credential chain: AWS_PROFILE, environment, instance profile)";
const NO_LEGACY: &str = "CircleCI 1.0 builders are not part of Server 2.16's model (2.0 builds run on the Nomad clients); nothing of them is carried";

/// One `name = value` of the tfvars.
struct Var {
    name: String,
    /// `None` when the expression is not a literal (tfvars take only literals).
    value: Option<Value>,
}

/// Reads the tfvars: attributes only, each once, values evaluated as literals.
fn read_tfvars(text: &str) -> Result<Vec<Var>, ImportError> {
    let body = hcl::parse(text).map_err(|e| match e {
        hcl::Error::Parse(p) => ImportError {
            // The parser's message only: its Display quotes the offending line, which may be
            // the passphrase's.
            message: format!("not valid HCL: {}", p.message()),
            line: Some(p.location().line()),
            column: Some(p.location().column()),
        },
        _ => ImportError {
            message: "not valid HCL".into(),
            line: None,
            column: None,
        },
    })?;
    let mut vars: Vec<Var> = Vec::new();
    let mut seen = HashSet::new();
    for structure in body {
        match structure {
            hcl::Structure::Attribute(a) => {
                let name = a.key.to_string();
                if !seen.insert(name.clone()) {
                    return Err(ImportError {
                        message: format!(
                            "`{}` is set twice; Terraform refuses a variable given twice in one file",
                            cci_core::display::escaped(&name)
                        ),
                        line: nth_line_of(text, &name, 2),
                        column: None,
                    });
                }
                let value = a.expr.evaluate(&Context::new()).ok();
                vars.push(Var { name, value });
            }
            hcl::Structure::Block(b) => {
                let ident = b.identifier.to_string();
                return Err(ImportError {
                    message: format!(
                        "a `{}` block: a .tfvars file holds only `name = value` lines (is this a Terraform configuration such as variables.tf?)",
                        cci_core::display::escaped(&ident)
                    ),
                    line: nth_line_of(text, &ident, 1),
                    column: None,
                });
            }
        }
    }
    Ok(vars)
}

/// The line (one-based) of the `n`th line that starts with `word`.
fn nth_line_of(text: &str, word: &str, n: usize) -> Option<usize> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| {
            l.trim_start()
                .strip_prefix(word)
                .is_some_and(|rest| rest.starts_with([' ', '\t', '=', '{', '"']))
        })
        .nth(n - 1)
        .map(|(i, _)| i + 1)
}

/// A string, number or bool as text.
fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// enterprise-setup's flags are `"true"`/`"false"`, `1`/`0` or booleans (Terraform 0.11 took all).
fn flag(v: &Value) -> Option<bool> {
    match scalar(v)?.trim().to_ascii_lowercase().as_str() {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}

/// The template's `"..."`, or nothing at all.
fn is_placeholder(s: &str) -> bool {
    let t = s.trim();
    t.is_empty() || t.chars().all(|c| c == '.')
}

/// A site name from enterprise-setup's prefix: lower-case letters, digits and `-`, starting
/// with a letter, at most 32 characters (resolve's rule). `None` when nothing is left.
fn site_name(prefix: &str) -> Option<String> {
    let mut name = String::new();
    for c in prefix.trim().chars() {
        let c = c.to_ascii_lowercase();
        let c = match c {
            'a'..='z' | '0'..='9' => c,
            '-' | '_' | '.' | ' ' => '-',
            _ => continue,
        };
        if c == '-' && (name.is_empty() || name.ends_with('-')) {
            continue;
        }
        if name.is_empty() && !c.is_ascii_lowercase() {
            continue;
        }
        name.push(c);
    }
    let name: String = name.chars().take(32).collect();
    let name = name.trim_end_matches('-').to_string();
    (!name.is_empty()).then_some(name)
}

/// A value as a site string literal; `None` when the language's strings cannot hold it
/// (control characters other than newline and tab, which it escapes).
fn quoted(s: &str) -> Option<String> {
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
fn shown(s: &str) -> String {
    let masked = cci_core::display::shown_text(s, &cci_core::secrets::secret_ranges(s));
    cci_core::display::escaped(&masked)
        .replace('\n', "\\n")
        .replace('\t', "\\t")
}

/// What the language takes as a proxy URL (resolve's rule), or why not.
fn check_proxy_url(url: &str) -> Result<(), &'static str> {
    // Whatever the scheme: `socks5://user:password@host` is not shown either.
    if url.contains('@') {
        return Err("credentials");
    }
    if !url.starts_with("http://") && !url.starts_with("https://") {
        return Err("not an http:// or https:// URL");
    }
    if proxy_url_problem(url).is_some() || host_port(url).is_none() {
        return Err("not `http://host:port`");
    }
    Ok(())
}

/// A value of the site with the comment beside it.
#[derive(Default)]
struct Field {
    value: String,
    comment: Option<String>,
}

impl Field {
    fn new(value: impl Into<String>, comment: impl Into<String>) -> Field {
        Field {
            value: value.into(),
            comment: Some(comment.into()).filter(|c: &String| !c.is_empty()),
        }
    }
}

/// A rule the site needs so that the services box reaches its proxy.
struct ProxyRule {
    port: u16,
    to: String,
    todo: bool,
}

/// What the site will say.
#[derive(Default)]
struct Site {
    name: Field,
    region: Field,
    vpc: Field,
    subnet: Field,
    ssh_key: Field,
    disposable: Option<Field>,
    /// Comment lines of a `dns` block left for the operator to complete.
    dns: Vec<String>,
    proxy_http: Option<String>,
    proxy_https: Option<String>,
    no_proxy: Vec<String>,
    proxy_rules: Vec<ProxyRule>,
    services_instance: Field,
    ami: Option<Field>,
    nomad_instance: Field,
    count: (u64, u64),
}

struct Importer<'a> {
    vars: Vec<Var>,
    used: HashSet<String>,
    /// (position in the tfvars, or past its end for the site's own, note).
    notes: Vec<(usize, Note)>,
    lib: &'a cci_core::model::Stdlib,
}

impl Importer<'_> {
    fn position(&self, name: &str) -> usize {
        self.vars
            .iter()
            .position(|v| v.name == name)
            .unwrap_or(usize::MAX)
    }

    fn note(&mut self, kind: NoteKind, variable: &str, message: impl Into<String>) {
        let at = self.position(variable);
        self.notes.push((
            at,
            Note {
                kind,
                variable: Some(variable.to_string()),
                message: message.into(),
            },
        ));
    }

    fn site_note(&mut self, kind: NoteKind, message: impl Into<String>) {
        self.notes.push((
            usize::MAX,
            Note {
                kind,
                variable: None,
                message: message.into(),
            },
        ));
    }

    /// The variable's value, if the tfvars set it; a value that is not a literal is reported
    /// here, once, and reads as unset.
    fn get(&mut self, name: &str) -> Option<Value> {
        let value = self.vars.iter().find(|v| v.name == name)?.value.clone();
        if self.used.insert(name.to_string()) && value.is_none() {
            self.note(
                NoteKind::NotCarried,
                name,
                "not a literal value (a .tfvars file takes literals, not expressions); read as unset",
            );
        }
        value
    }

    fn set(&self, name: &str) -> bool {
        self.vars.iter().any(|v| v.name == name)
    }

    /// A scalar variable as text; a list or map is reported and reads as unset.
    fn text(&mut self, name: &str) -> Option<String> {
        let v = self.get(name)?;
        let t = scalar(&v);
        if t.is_none() {
            self.note(
                NoteKind::NotCarried,
                name,
                "expected a string, not a list or map; read as unset",
            );
        }
        t
    }

    /// A flag; what is not one is reported and reads as enterprise-setup's default.
    fn flag(&mut self, name: &str, default: bool) -> bool {
        let Some(v) = self.get(name) else {
            return default;
        };
        flag(&v).unwrap_or_else(|| {
            self.note(
                NoteKind::NotCarried,
                name,
                format!("not true/false or 1/0; enterprise-setup's default ({default}) assumed"),
            );
            default
        })
    }
}

/// Converts a `terraform.tfvars` of enterprise-setup into a site file. `source_name` names the
/// tfvars in the site's header comment.
pub fn import(tfvars_text: &str, source_name: &str) -> Result<Imported, ImportError> {
    let vars = read_tfvars(tfvars_text)?;
    let lib = cci_core::compile("", "", &cci_core::stdlib::embedded()).stdlib;
    let mut im = Importer {
        vars,
        used: HashSet::new(),
        notes: Vec::new(),
        lib: &lib,
    };
    let mut site = Site::default();

    credentials(&mut im);
    let govcloud = im.flag("enable_govcloud", false);
    aws(&mut im, &mut site, govcloud);
    passphrase(&mut im);
    name(&mut im, &mut site);
    machines(&mut im, &mut site);
    legacy(&mut im);
    teardown(&mut im, &mut site);
    route(&mut im, &mut site);
    proxy(&mut im, &mut site);
    unknown(&mut im);
    site_notes(&mut im, &site);

    // In the layout `cci-dsl fmt` gives, so the file is committed as it is written.
    let site_text = cci_core::format::format(&render(&site, source_name));
    // What `check` would still refuse (an instance type the catalog lacks, a services box too
    // small for the users) is said now, not discovered later.
    let c = cci_core::compile("site.cci", &site_text, &cci_core::stdlib::embedded());
    for d in c
        .diagnostics
        .iter()
        .filter(|d| d.code.severity() == cci_core::codes::Severity::Error)
    {
        im.site_note(
            NoteKind::Todo,
            format!(
                "`cci-dsl check` reports {}: {}; fix it in the site",
                d.code.as_str(),
                shown(&d.message)
            ),
        );
    }
    im.notes.sort_by_key(|(at, _)| *at);
    Ok(Imported {
        site_text,
        report: im.notes.into_iter().map(|(_, n)| n).collect(),
    })
}

fn credentials(im: &mut Importer) {
    for key in ["aws_access_key", "aws_secret_key"] {
        if im.set(key) {
            im.used.insert(key.to_string());
            im.note(NoteKind::NotCarried, key, NO_CREDENTIALS);
        }
    }
}

fn passphrase(im: &mut Importer) {
    const KEY: &str = "circle_secret_passphrase";
    let apply = "give it at apply time as TF_VAR_circle_secret_passphrase";
    let Some(value) = im.get(KEY) else {
        if !im.set(KEY) {
            im.note(
                NoteKind::Todo,
                KEY,
                format!("not in the tfvars: the site says `passphrase = secret`; {apply}"),
            );
        }
        return;
    };
    // Only facts about the value are used; the value itself goes nowhere.
    let text = scalar(&value).unwrap_or_default();
    let message = if is_placeholder(&text) {
        format!("`passphrase = secret`; the tfvars hold the template's placeholder, not a passphrase: choose one (letters and digits) and {apply}")
    } else if text.chars().all(|c| c.is_ascii_alphanumeric()) {
        format!("`passphrase = secret`; the value was not copied or shown: {apply} (the same value: CircleCI's stored secrets are encrypted with it)")
    } else {
        format!("`passphrase = secret`; the value was not copied or shown: {apply} (the same value: CircleCI's stored secrets are encrypted with it). It holds characters other than letters and digits, which the generated Terraform refuses (guide ch. 2, step 4)")
    };
    im.note(NoteKind::Todo, KEY, message);
}

fn aws(im: &mut Importer, site: &mut Site, govcloud: bool) {
    // In the stdlib's order (us-gov-west-1, the older, first).
    let gov_regions: Vec<String> = im
        .lib
        .regions
        .iter()
        .filter(|r| im.lib.partitions.get(*r).is_some_and(|p| p == "aws-us-gov"))
        .cloned()
        .collect();

    // Region.
    let placeholder_region = if govcloud {
        gov_regions.first().cloned().unwrap_or_default()
    } else {
        // The stdlib's first commercial region: a placeholder, marked to do.
        im.lib.regions.first().cloned().unwrap_or_default()
    };
    let region = im.text("aws_region");
    let region_ok = match region.as_deref().map(str::trim) {
        Some(r) if im.lib.regions.iter().any(|k| k == r) => {
            site.region = Field::new(quoted(r).unwrap_or_default(), "aws_region");
            im.note(NoteKind::Carried, "aws_region", "aws { region }");
            Some(r.to_string())
        }
        other => {
            let why = match other {
                None if !im.set("aws_region") => "not in the tfvars".to_string(),
                None => "unset".to_string(),
                Some(r) if is_placeholder(r) => "the template's placeholder".to_string(),
                Some(r) => format!("`{}` is not a region the stdlib knows", shown(r)),
            };
            site.region = Field::new(
                format!("\"{placeholder_region}\""),
                "TODO: a placeholder; set your region (aws_region)",
            );
            let message = format!(
                "{why}: `{placeholder_region}` written in its place (a TODO in the site); set the real region"
            );
            im.note(NoteKind::Todo, "aws_region", message);
            None
        }
    };
    if im.set("enable_govcloud") {
        let is_gov = region_ok.as_ref().is_some_and(|r| gov_regions.contains(r));
        match (govcloud, is_gov, &region_ok) {
            (true, true, _) | (false, false, _) => im.note(
                NoteKind::Carried,
                "enable_govcloud",
                "the ARN partition follows from the region (the stdlib's region list)",
            ),
            (true, false, Some(_)) => im.note(
                NoteKind::NotCarried,
                "enable_govcloud",
                format!(
                    "true, but the region is not a GovCloud region ({}); the site uses the region's own partition",
                    gov_regions.join(", ")
                ),
            ),
            (true, false, None) => im.note(
                NoteKind::Todo,
                "enable_govcloud",
                "the ARN partition follows from the region: the placeholder region is a GovCloud one",
            ),
            (false, true, _) => im.note(
                NoteKind::Carried,
                "enable_govcloud",
                "false, but the region is a GovCloud region: the site uses its partition (aws-us-gov), which enterprise-setup needed this flag for",
            ),
        }
    }

    for (key, prefix, attr) in [
        ("aws_vpc_id", "vpc", "vpc"),
        ("aws_subnet_id", "subnet", "subnet"),
    ] {
        let value = im.text(key);
        let field = match value.as_deref().map(str::trim) {
            Some(v) if valid_aws_id(v, prefix) => {
                im.note(NoteKind::Carried, key, format!("aws {{ {attr} }}"));
                Field::new(v, key)
            }
            other => {
                let why = match other {
                    None if !im.set(key) => "not in the tfvars".to_string(),
                    None => "unset".to_string(),
                    Some(v) if is_placeholder(v) => "the template's placeholder".to_string(),
                    Some(v) => format!(
                        "`{}` is not a {prefix} id (`{prefix}-` and 8 or 17 hex digits)",
                        shown(v)
                    ),
                };
                let placeholder = format!("{prefix}-00000000");
                let message = format!(
                    "{why}: `{placeholder}` written in its place (a TODO in the site); set the real id"
                );
                im.note(NoteKind::Todo, key, message);
                Field::new(
                    placeholder,
                    format!("TODO: a placeholder; set your {attr} id ({key})"),
                )
            }
        };
        match attr {
            "vpc" => site.vpc = field,
            _ => site.subnet = field,
        }
    }

    const KEY: &str = "aws_ssh_key_name";
    let key_name = im.text(KEY);
    site.ssh_key = match key_name.as_deref() {
        Some(k)
            if !is_placeholder(k)
                && k.len() <= 255
                && k.chars().all(|c| c.is_ascii_graphic() || c == ' ') =>
        {
            im.note(NoteKind::Carried, KEY, "aws { ssh_key }");
            Field::new(quoted(k).unwrap_or_default(), KEY)
        }
        other => {
            let why = match other {
                None if !im.set(KEY) => "not in the tfvars".to_string(),
                None => "unset".to_string(),
                Some(k) if is_placeholder(k) => "the template's placeholder".to_string(),
                Some(_) => {
                    "not an EC2 key pair name (up to 255 printable ASCII characters)".to_string()
                }
            };
            let message = format!(
                "{why}: `CHANGE-ME` written in its place (a TODO in the site); set the key pair's name"
            );
            im.note(NoteKind::Todo, KEY, message);
            Field::new(
                "\"CHANGE-ME\"",
                "TODO: a placeholder; set your EC2 key pair (aws_ssh_key_name)",
            )
        }
    };
}

fn name(im: &mut Importer, site: &mut Site) {
    const KEY: &str = "prefix";
    let Some(prefix) = im.text(KEY) else {
        if !im.set(KEY) {
            im.note(
                NoteKind::Carried,
                KEY,
                format!(
                    "not in the tfvars; enterprise-setup's default `{ES_PREFIX}` names the site"
                ),
            );
        }
        site.name = Field::new(ES_PREFIX, "");
        return;
    };
    match site_name(&prefix) {
        Some(n) if n == prefix => {
            im.note(NoteKind::Carried, KEY, "the site's name");
            site.name = Field::new(n, "");
        }
        Some(n) => {
            im.note(
                NoteKind::Carried,
                KEY,
                format!(
                    "`{}` becomes the site name `{n}` (lower-case letters, digits and `-`, starting with a letter, at most 32 characters)",
                    shown(&prefix)
                ),
            );
            site.name = Field::new(n, format!("enterprise-setup's prefix: {}", shown(&prefix)));
        }
        None => {
            im.note(
                NoteKind::Todo,
                KEY,
                format!("`{}` leaves no valid site name (lower-case letters, digits and `-`, starting with a letter): `{ES_PREFIX}` used, enterprise-setup's default; rename it if you like", shown(&prefix)),
            );
            site.name = Field::new(ES_PREFIX, "");
        }
    }
}

/// An instance type for the site: the tfvars' (or enterprise-setup's default), said either way.
fn instance(im: &mut Importer, key: &str, default: &str, target: &str) -> Field {
    match im.text(key) {
        Some(t) if !is_placeholder(&t) => {
            let t = t.trim().to_string();
            match quoted(&t) {
                Some(q) if im.lib.instance_types.contains_key(&t) => {
                    im.note(NoteKind::Carried, key, format!("{target} {{ instance }}"));
                    Field::new(q, key)
                }
                Some(q) => {
                    im.note(
                        NoteKind::Todo,
                        key,
                        format!(
                            "{target} {{ instance }}; `{}` is not in the stdlib's instance catalog: declare it with an `instance_type` block (see examples/github-enterprise.cci) or choose a type the catalog has",
                            shown(&t)
                        ),
                    );
                    Field::new(q, format!("{key}; TODO: not in the catalog"))
                }
                None => {
                    im.note(
                        NoteKind::Todo,
                        key,
                        format!("not an instance type: enterprise-setup's default `{default}` written instead"),
                    );
                    Field::new(
                        format!("\"{default}\""),
                        format!("TODO: {key} was not a type"),
                    )
                }
            }
        }
        _ => {
            let message = format!(
                "not set: enterprise-setup's default at the guide's release, `{default}`, written as {target} {{ instance }}"
            );
            im.note(NoteKind::Carried, key, message);
            Field::new(
                format!("\"{default}\""),
                format!("enterprise-setup's default {key}"),
            )
        }
    }
}

fn machines(im: &mut Importer, site: &mut Site) {
    site.services_instance = instance(im, "services_instance_type", ES_SERVICES_TYPE, "services");
    site.nomad_instance = instance(
        im,
        "nomad_client_instance_type",
        ES_NOMAD_TYPE,
        "fleet nomad",
    );

    // enterprise-setup booted the services box and the Nomad clients from services_ami when
    // set, else from its table of Ubuntu 16.04 images (ubuntu_ami) for the region.
    let services_ami = im.text("services_ami");
    match services_ami.as_deref().map(str::trim) {
        Some(a) if !a.is_empty() && valid_aws_id(a, "ami") => {
            im.note(
                NoteKind::Carried,
                "services_ami",
                "services { ami } and fleet nomad { ami } (enterprise-setup booted both from it)",
            );
            site.ami = Some(Field::new(a, "services_ami"));
        }
        Some(a) if !a.is_empty() => im.note(
            NoteKind::NotCarried,
            "services_ami",
            format!(
                "`{}` is not an AMI id (`ami-` and 8 or 17 hex digits); the machines use the newest Ubuntu 16.04 image",
                shown(a)
            ),
        ),
        Some(_) => im.note(
            NoteKind::Carried,
            "services_ami",
            "empty: the machines use the newest Ubuntu 16.04 image Canonical published, as enterprise-setup's table did",
        ),
        None => {}
    }
    if let Some(table) = im.get("ubuntu_ami") {
        let region = site.region.value.trim_matches('"').to_string();
        let entry = match &table {
            Value::Object(m) => m.get(&region).and_then(scalar),
            _ => None,
        };
        match entry {
            _ if site.ami.is_some() => im.note(
                NoteKind::NotCarried,
                "ubuntu_ami",
                "services_ami is set, which enterprise-setup used instead of this table",
            ),
            Some(a) if valid_aws_id(a.trim(), "ami") => {
                im.note(
                    NoteKind::Carried,
                    "ubuntu_ami",
                    "the region's entry is services { ami } and fleet nomad { ami }",
                );
                site.ami = Some(Field::new(a.trim(), "ubuntu_ami's entry for the region"));
            }
            _ => im.note(
                NoteKind::NotCarried,
                "ubuntu_ami",
                "no AMI id for the site's region in this table: the machines use the newest Ubuntu 16.04 image Canonical published",
            ),
        }
    }

    if im.set("enable_nomad") {
        if im.flag("enable_nomad", true) {
            im.note(NoteKind::Carried, "enable_nomad", "fleet nomad");
        } else {
            im.note(
                NoteKind::NotCarried,
                "enable_nomad",
                "off, but a 2.16 site runs every build on Nomad clients: the site has `fleet nomad`",
            );
        }
    }
    if im.set("services_user_data_enabled") {
        if im.flag("services_user_data_enabled", true) {
            im.note(
                NoteKind::Carried,
                "services_user_data_enabled",
                "the services box is provisioned at boot (cloud-init)",
            );
        } else {
            im.note(
                NoteKind::NotCarried,
                "services_user_data_enabled",
                "off, but cci-dsl always provisions the services box at boot (cloud-init: Docker, Replicated, the settings)",
            );
        }
    }
    if im.set("max_clients_count") {
        im.get("max_clients_count");
        im.note(
            NoteKind::NotCarried,
            "max_clients_count",
            "the Nomad clients' maximum in enterprise-setup's 2017 pre-release; the fleet's count follows the guide's table",
        );
    }

    let dau = DEFAULT_DAILY_ACTIVE_USERS;
    site.count = im
        .lib
        .nomad_counts
        .iter()
        .find(|r| r.users_first <= dau && r.users_last.is_none_or(|l| dau <= l))
        .map_or((1, 5), |r| {
            (r.clients_min, r.clients_max.unwrap_or(r.clients_min))
        });
}

fn legacy(im: &mut Importer) {
    for key in [
        "builder_instance_type",
        "max_builders_count",
        "legacy_builder_spot_price",
        "builder_image",
    ] {
        if im.set(key) {
            im.get(key);
            im.note(NoteKind::NotCarried, key, NO_LEGACY);
        }
    }
    if im.set("desired_builders_count") {
        let running = im
            .text("desired_builders_count")
            .and_then(|t| t.trim().parse::<u64>().ok())
            .unwrap_or(0);
        let message = if running > 0 {
            format!("{NO_LEGACY}; this install runs {running} 1.0 builder(s): move their projects to 2.0 configuration (.circleci/config.yml) before the switch")
        } else {
            NO_LEGACY.to_string()
        };
        im.note(NoteKind::NotCarried, "desired_builders_count", message);
    }
    if im.set("base_services_image") {
        im.get("base_services_image");
        im.note(
            NoteKind::NotCarried,
            "base_services_image",
            "CircleCI's own services images before 2.0 (2016-2017); 2.16 runs on Ubuntu 16.04 (write services { ami } to bring your own)",
        );
    }
    for key in ["enable_ansible_provisioning", "ansible_extra_vars"] {
        if im.set(key) {
            im.get(key);
            im.note(
                NoteKind::NotCarried,
                key,
                "enterprise-setup before 2.0 (2017) could provision the services box with Ansible; cci-dsl provisions it with cloud-init (its value is not shown)",
            );
        }
    }
}

/// `disposable = true` only when the tfvars ask for teardown on both counts enterprise-setup
/// had: no termination protection, and a bucket destroyed with its objects.
fn teardown(im: &mut Importer, site: &mut Site) {
    let protection = im.flag("services_disable_api_termination", true);
    let bucket_key = if im.set("force_destroy_s3_bucket") || !im.set("destroy_s3_bucket") {
        "force_destroy_s3_bucket"
    } else {
        "destroy_s3_bucket" // its name for a week of December 2017
    };
    let force_destroy = im.flag(bucket_key, false);
    let delete_volume = im.flag("services_delete_on_termination", false);
    let (protection_set, bucket_set, volume_set) = (
        im.set("services_disable_api_termination"),
        im.set(bucket_key),
        im.set("services_delete_on_termination"),
    );

    if !protection && force_destroy {
        site.disposable = Some(Field::new(
            "true",
            "services_disable_api_termination = false and force_destroy_s3_bucket = true",
        ));
        let volume = if delete_volume {
            ""
        } else {
            "; it also deletes the services box's root volume with the box, which enterprise-setup kept (services_delete_on_termination)"
        };
        im.note(
            NoteKind::Carried,
            "services_disable_api_termination",
            format!("false: `disposable = true` (no termination protection){volume}"),
        );
        im.note(
            NoteKind::Carried,
            bucket_key,
            "true: `disposable = true` (the bucket is emptied and deleted on destroy); `check` warns about a disposable site on every run (W0429)",
        );
        if volume_set {
            im.note(
                NoteKind::Carried,
                "services_delete_on_termination",
                if delete_volume {
                    "true: `disposable = true` deletes the volume with the box"
                } else {
                    "false, but `disposable = true` deletes the volume with the box"
                },
            );
        }
        return;
    }
    let why = "cci-dsl gives that up only with `disposable = true`, which also turns off termination protection and force-destroys the bucket; write it if the site is meant to be torn down";
    if protection_set {
        if protection {
            im.note(
                NoteKind::Carried,
                "services_disable_api_termination",
                "true: the services box has termination protection (every site has)",
            );
        } else {
            im.note(
                NoteKind::NotCarried,
                "services_disable_api_termination",
                format!("false: termination protection stays on; {why}"),
            );
        }
    }
    if bucket_set {
        if force_destroy {
            im.note(
                NoteKind::NotCarried,
                bucket_key,
                format!("true: the bucket is kept while it holds objects; {why}"),
            );
        } else {
            im.note(
                NoteKind::Carried,
                bucket_key,
                "false: destroy stops at a bucket that holds objects (every site's does)",
            );
        }
    }
    if volume_set {
        if delete_volume {
            im.note(
                NoteKind::NotCarried,
                "services_delete_on_termination",
                format!("true: the services box's root volume is kept when the box goes; {why}"),
            );
        } else {
            im.note(
                NoteKind::Carried,
                "services_delete_on_termination",
                "false: the services box's root volume is kept when the box goes (every site's is)",
            );
        }
    }
}

/// enterprise-setup's Route53 record took a zone id; the language takes the zone's name.
fn route(im: &mut Importer, site: &mut Site) {
    let enabled = im.flag("enable_route", false);
    let name = im
        .text("route_name")
        .map(|n| n.trim().trim_end_matches('.').to_ascii_lowercase())
        .filter(|n| !is_placeholder(n));
    let zone_id = im
        .text("route_zone_id")
        .map(|z| z.trim().to_string())
        .filter(|z| !is_placeholder(z));
    if !enabled {
        if im.set("enable_route") {
            im.note(NoteKind::Carried, "enable_route", "off: no DNS record");
        }
        for key in ["route_name", "route_zone_id"] {
            if im.set(key) {
                let why = if im.set("enable_route") {
                    "enable_route is off, so enterprise-setup made no record with it"
                } else {
                    "enable_route is not set (enterprise-setup's default: off), so enterprise-setup made no record with it"
                };
                im.note(NoteKind::NotCarried, key, why);
            }
        }
        return;
    }
    let zone_shown = zone_id
        .as_deref()
        .filter(|z| z.chars().all(|c| c.is_ascii_alphanumeric()) && z.len() <= 32);
    let lookup = match zone_shown {
        Some(z) => format!("aws route53 get-hosted-zone --id {z} --query HostedZone.Name"),
        None => "aws route53 list-hosted-zones".to_string(),
    };
    // `ci.example.com` is most likely the record `ci` in the zone `example.com`; a name without
    // a dot is relative to the zone.
    let (record, zone_guess) = match name.as_deref() {
        Some(n) if valid_dns_name(n) => match n.split_once('.') {
            Some((first, rest)) if rest.contains('.') => (first.to_string(), rest.to_string()),
            _ => (n.to_string(), "ZONE-NAME".to_string()),
        },
        _ => ("ci".to_string(), "ZONE-NAME".to_string()),
    };
    site.dns = vec![
        format!(
            "TODO: enterprise-setup made a Route53 record (enable_route) in the zone {};",
            zone_shown.unwrap_or("of route_zone_id")
        ),
        "the language takes the zone's NAME, not its id. Find it with".to_string(),
        format!("  {lookup}"),
        "then check the two names below and uncomment the block.".to_string(),
        "dns {".to_string(),
        format!("  zone = \"{zone_guess}\""),
        format!("  name = \"{record}\""),
        "}".to_string(),
    ];
    im.note(
        NoteKind::Todo,
        "enable_route",
        "on: a commented `dns { zone name }` block in the site, to complete and uncomment",
    );
    match name.as_deref() {
        Some(n) if valid_dns_name(n) => im.note(
            NoteKind::Todo,
            "route_name",
            format!("dns {{ name = \"{record}\" }}, and `{zone_guess}` as a guess for the zone: check it against route_zone_id"),
        ),
        Some(n) => im.note(
            NoteKind::Todo,
            "route_name",
            format!("`{}` is not a DNS name; the commented block says `ci`", shown(n)),
        ),
        None => im.note(
            NoteKind::Todo,
            "route_name",
            "empty: the commented block says `ci`; write the record's name",
        ),
    }
    let id_note = match zone_shown {
        Some(z) => format!("the language takes the zone's name, not its id `{z}`: turn it into the name ({lookup}) and write it in the commented `dns` block"),
        None => "empty or not a zone id: write the zone's name in the commented `dns` block (aws route53 list-hosted-zones)".to_string(),
    };
    im.note(NoteKind::Todo, "route_zone_id", id_note);
}

fn proxy(im: &mut Importer, site: &mut Site) {
    for key in ["http_proxy", "https_proxy"] {
        let Some(url) = im.text(key).map(|u| u.trim().to_string()) else {
            continue;
        };
        if url.is_empty() {
            im.note(NoteKind::Carried, key, "empty: no proxy");
            continue;
        }
        match check_proxy_url(&url) {
            Ok(()) => {
                let attr = if key == "http_proxy" { "http" } else { "https" };
                im.note(NoteKind::Carried, key, format!("proxy {{ {attr} }}"));
                if key == "http_proxy" {
                    site.proxy_http = Some(url.clone());
                } else {
                    site.proxy_https = Some(url.clone());
                }
                // The services box reaches the internet on 80 and 443 only; a proxy elsewhere
                // needs a rule of the site's own (E0430).
                if let Some((host, port)) = host_port(&url).filter(|(_, p)| ![80, 443].contains(p)) {
                    let rule = match host.parse::<Ipv4Addr>() {
                        Ok(ip) => ProxyRule {
                            port,
                            to: ip.to_string(),
                            todo: false,
                        },
                        Err(_) => ProxyRule {
                            port,
                            to: "0.0.0.0/0".into(),
                            todo: true,
                        },
                    };
                    if !site
                        .proxy_rules
                        .iter()
                        .any(|r| r.port == rule.port && r.to == rule.to)
                    {
                        if rule.todo {
                            im.note(
                                NoteKind::Todo,
                                key,
                                format!("the proxy listens on {port}, which the services box may not reach by the guide's rules: the site opens it to any address, as enterprise-setup did (TODO: narrow it to the proxy's address)"),
                            );
                        }
                        site.proxy_rules.push(rule);
                    }
                }
            }
            Err("credentials") => im.note(
                NoteKind::NotCarried,
                key,
                "the URL holds credentials (user:password@), which would be written into every machine's user-data: not carried, not shown; let the proxy admit the site's machines by address and write proxy { ... } by hand",
            ),
            Err(why) => im.note(
                NoteKind::NotCarried,
                key,
                format!("`{}` is {why}: write proxy {{ ... }} by hand", shown(&url)),
            ),
        }
    }
    let Some(list) = im.text("no_proxy") else {
        return;
    };
    let entries: Vec<String> = list
        .split(',')
        .map(|e| e.trim().to_string())
        .filter(|e| !e.is_empty())
        .collect();
    if entries.is_empty() {
        im.note(NoteKind::Carried, "no_proxy", "empty");
        return;
    }
    if site.proxy_http.is_none() && site.proxy_https.is_none() {
        im.note(
            NoteKind::NotCarried,
            "no_proxy",
            "the site has no proxy for it to bypass",
        );
        return;
    }
    let (good, bad): (Vec<String>, Vec<String>) =
        entries.into_iter().partition(|e| no_proxy_entry(e));
    let mut message = "proxy { no_proxy = [...] }, split on commas (the metadata service, the VPC and the S3 endpoint are always added)".to_string();
    if !bad.is_empty() {
        let bad: Vec<String> = bad.iter().map(|b| format!("`{}`", shown(b))).collect();
        message.push_str(&format!(
            "; left out, not a host, domain or address: {}",
            bad.join(", ")
        ));
    }
    im.note(NoteKind::Carried, "no_proxy", message);
    site.no_proxy = good;
}

fn unknown(im: &mut Importer) {
    let names: Vec<String> = im
        .vars
        .iter()
        .map(|v| v.name.clone())
        .filter(|n| !KNOWN.contains(&n.as_str()))
        .collect();
    for n in names {
        im.note(
            NoteKind::NotCarried,
            &n,
            "not a variable of enterprise-setup (at any release): not carried, and its value is not shown",
        );
    }
    // Known variables no step looked at would be a bug here; say them rather than drop them.
    let missed: Vec<String> = im
        .vars
        .iter()
        .map(|v| v.name.clone())
        .filter(|n| {
            KNOWN.contains(&n.as_str())
                && !im
                    .notes
                    .iter()
                    .any(|(_, note)| note.variable.as_deref() == Some(n))
        })
        .collect();
    for n in missed {
        im.note(NoteKind::NotCarried, &n, "not carried");
    }
}

fn site_notes(im: &mut Importer, site: &Site) {
    let dau = DEFAULT_DAILY_ACTIVE_USERS;
    let (min, max) = site.count;
    im.site_note(
        NoteKind::Todo,
        format!("daily_active_users: enterprise-setup had no such setting; {dau} written (the guide's example): set your real number, it sizes the services box and the Nomad fleet"),
    );
    im.site_note(
        NoteKind::Todo,
        format!("fleet nomad {{ count = {min}..{max} }}: the guide's table for {dau} daily active users (enterprise-setup's group ran 0 to 2 clients, 1 wanted); set it for your number"),
    );
    im.site_note(
        NoteKind::Todo,
        "actors: enterprise-setup opened SSH, the web app, the admin console and SSH into builds to every address; `users` and `admins` are bound to 0.0.0.0/0 to keep that, and `check` warns (W0411, W0427) until you narrow them to your ranges",
    );
    im.site_note(
        NoteKind::Todo,
        "github = github_com: enterprise-setup had no GitHub setting (it is chosen in the admin console); for GitHub Enterprise write enterprise(\"https://...\") and bind actors { github = [...] }",
    );
    im.site_note(
        NoteKind::Carried,
        "vm_service = true: enterprise-setup always made the security group of the machine executor's and remote Docker's VMs; set it to false if your jobs use neither",
    );
    im.site_note(
        NoteKind::Carried,
        format!("disks: services {ES_SERVICES_DISK_GIB} GiB and Nomad clients {ES_NOMAD_DISK_GIB} GiB, enterprise-setup's root volumes"),
    );
    im.site_note(
        NoteKind::Todo,
        format!("the generated Terraform makes a new site named `{}`: it does not take over enterprise-setup's Terraform state or its resources (services box, bucket, security groups); plan the move of the data (guide ch. 3, backups)", site.name.value),
    );
}

/// One line of a block: `key = value  # comment`, a comment, a blank, a nested block.
enum Item {
    Attr(String, String, Option<String>),
    Comment(String),
    Blank,
    Block(String, Vec<Item>),
}

fn attr(key: &str, field: &Field) -> Item {
    Item::Attr(key.to_string(), field.value.clone(), field.comment.clone())
}

fn render_block(head: &str, items: &[Item], indent: usize, out: &mut String) {
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

fn render(site: &Site, source_name: &str) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "# Imported by `cci-dsl import` from {} (CircleCI's enterprise-setup Terraform).\n",
        shown(source_name)
    ));
    out.push_str(
        "# Every TODO below needs a decision; the import printed what it did not carry over, and why.\n\
         # Nothing secret was copied. Then: cci-dsl check <this file>\n\
         use circleci/2.16\n\n",
    );

    let mut site_items = vec![
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
            "TODO: enterprise-setup had no such setting; {DEFAULT_DAILY_ACTIVE_USERS} is the guide's example. Set your number:"
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
        site_items.push(attr("disposable", d));
    }
    if !site.dns.is_empty() {
        site_items.push(Item::Blank);
        site_items.extend(site.dns.iter().map(|l| Item::Comment(l.clone())));
    }
    if site.proxy_http.is_some() || site.proxy_https.is_some() {
        let mut p = Vec::new();
        if let Some(u) = &site.proxy_http {
            p.push(Item::Attr(
                "http".into(),
                quoted(u).unwrap_or_default(),
                None,
            ));
        }
        if let Some(u) = &site.proxy_https {
            p.push(Item::Attr(
                "https".into(),
                quoted(u).unwrap_or_default(),
                None,
            ));
        }
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
        site_items.push(Item::Blank);
        site_items.push(Item::Block("proxy".into(), p));
    }
    let head = match &site.name.comment {
        Some(c) => format!("# {}\nsite \"{}\"", shown(c), site.name.value),
        None => format!("site \"{}\"", site.name.value),
    };
    render_block(&head, &site_items, 0, &mut out);

    if !site.proxy_rules.is_empty() {
        out.push_str("\n# The services box reaches the internet on 80 and 443 only (the guide's rules); the proxy\n# listens elsewhere.\n");
        let ports: BTreeSet<u16> = site.proxy_rules.iter().map(|r| r.port).collect();
        for port in ports {
            for r in site.proxy_rules.iter().filter(|r| r.port == port) {
                if r.todo {
                    out.push_str("# TODO: any address, as enterprise-setup allowed; narrow it to the proxy's address.\n");
                }
                out.push_str(&format!(
                    "allow tcp {} from services to {} \"The HTTP proxy (enterprise-setup's http_proxy/https_proxy)\"\n",
                    r.port, r.to
                ));
            }
        }
    }

    out.push_str(
        "\n# TODO: enterprise-setup opened SSH, the web app, the admin console and SSH into builds to\n\
         # every address; these bindings keep that. Narrow them to the\n\
         # ranges that need them (offices, VPN, the VPC); until then `cci-dsl check` warns (W0411, W0427).\n",
    );
    render_block(
        "actors",
        &[
            Item::Attr("users".into(), "[0.0.0.0/0]".into(), None),
            Item::Attr("admins".into(), "[0.0.0.0/0]".into(), None),
        ],
        0,
        &mut out,
    );

    out.push('\n');
    let mut services = vec![
        attr("instance", &site.services_instance),
        Item::Attr(
            "disk".into(),
            format!("{ES_SERVICES_DISK_GIB} GiB"),
            Some("enterprise-setup's root volume".into()),
        ),
    ];
    if let Some(a) = &site.ami {
        services.push(attr("ami", a));
    }
    render_block("services", &services, 0, &mut out);

    out.push('\n');
    let (min, max) = site.count;
    let mut fleet = vec![
        attr("instance", &site.nomad_instance),
        Item::Comment(format!(
            "TODO: the guide's table for {DEFAULT_DAILY_ACTIVE_USERS} daily active users (enterprise-setup ran 0 to 2, 1 wanted)."
        )),
        Item::Attr("count".into(), format!("{min}..{max}"), None),
        Item::Attr(
            "disk".into(),
            format!("{ES_NOMAD_DISK_GIB} GiB"),
            Some("enterprise-setup's root volume".into()),
        ),
    ];
    if let Some(a) = &site.ami {
        fleet.push(attr("ami", a));
    }
    render_block("fleet nomad", &fleet, 0, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn site_names_from_prefixes() {
        assert_eq!(site_name("circleci").as_deref(), Some("circleci"));
        assert_eq!(site_name("ACME_CI_").as_deref(), Some("acme-ci"));
        assert_eq!(site_name("9-lives.prod").as_deref(), Some("lives-prod"));
        assert_eq!(site_name("..."), None);
        assert_eq!(site_name(&"a".repeat(40)).map(|n| n.len()), Some(32));
    }

    #[test]
    fn flags_as_enterprise_setup_wrote_them() {
        for (v, want) in [
            (Value::from("true"), Some(true)),
            (Value::from("0"), Some(false)),
            (Value::from(1), Some(true)),
            (Value::from(false), Some(false)),
            (Value::from("maybe"), None),
        ] {
            assert_eq!(flag(&v), want, "{v:?}");
        }
    }

    #[test]
    fn proxy_urls() {
        assert_eq!(
            host_port("http://10.0.0.10:3128"),
            Some(("10.0.0.10".into(), 3128))
        );
        assert_eq!(host_port("https://proxy"), Some(("proxy".into(), 443)));
        assert_eq!(check_proxy_url("http://u:p@proxy:3128"), Err("credentials"));
        assert!(check_proxy_url("proxy:3128").is_err());
    }

    #[test]
    fn a_parse_error_has_a_place_and_not_the_line() {
        let e = import("a = \"x\"\ncircle_secret_passphrase = \"hunter2\n", "t").unwrap_err();
        assert_eq!(e.line, Some(2));
        assert!(!e.to_string().contains("hunter2"), "{e}");
    }

    #[test]
    fn a_twice_set_variable_is_refused() {
        let e = import("prefix = \"a\"\nprefix = \"b\"\n", "t").unwrap_err();
        assert_eq!(e.line, Some(2));
    }

    /// The import, its report as lines, and whether its site checks without errors.
    fn run(tfvars: &str) -> (String, Vec<String>, bool) {
        let i = import(tfvars, "t.tfvars").unwrap();
        let c = cci_core::compile("site.cci", &i.site_text, &cci_core::stdlib::embedded());
        let report = i.report.iter().map(|n| n.to_string()).collect();
        (i.site_text, report, !c.has_errors())
    }

    fn said(report: &[String], prefix: &str) -> bool {
        report.iter().any(|l| l.starts_with(prefix))
    }

    #[test]
    fn an_empty_file_gives_a_site_of_placeholders_that_checks() {
        let (site, report, ok) = run("");
        assert!(ok, "{site}");
        assert!(site.contains("vpc-00000000") && site.contains("\"CHANGE-ME\""));
        assert!(said(&report, "todo: aws_vpc_id: not in the tfvars"));
        assert!(said(
            &report,
            "todo: circle_secret_passphrase: not in the tfvars"
        ));
    }

    #[test]
    fn a_proxy_by_name_is_opened_to_any_address_with_a_todo() {
        let (site, report, ok) = run(
            "https_proxy = \"http://proxy.corp.example.com:8080\"\nno_proxy = \"a b, .corp\"\n",
        );
        assert!(ok, "{site}");
        assert!(site.contains("# TODO: any address"));
        assert!(site.contains("allow tcp 8080 from services to 0.0.0.0/0"));
        assert!(site.contains("no_proxy = [\".corp\"]"), "{site}");
        assert!(said(
            &report,
            "todo: https_proxy: the proxy listens on 8080"
        ));
        assert!(said(&report, "carried: no_proxy: ") && report.iter().any(|l| l.contains("`a b`")));
    }

    #[test]
    fn a_proxy_on_80_needs_no_rule() {
        let (site, _, ok) = run("http_proxy = \"http://10.1.2.3\"\n");
        assert!(ok && !site.contains("allow tcp"), "{site}");
    }

    #[test]
    fn proxy_credentials_are_neither_carried_nor_shown() {
        let (site, report, ok) =
            run("http_proxy = \"http://ops:pr0xyPw@10.0.0.10:3128\"\nno_proxy = \".corp\"\n");
        assert!(ok);
        assert!(!site.contains("pr0xyPw") && !report.iter().any(|l| l.contains("pr0xyPw")));
        assert!(!site.contains("proxy {"));
        assert!(said(
            &report,
            "not carried: http_proxy: the URL holds credentials"
        ));
        assert!(said(
            &report,
            "not carried: no_proxy: the site has no proxy"
        ));
    }

    #[test]
    fn values_shown_in_notes_mask_what_looks_like_a_credential() {
        let (_, report, _) = run(
            "aws_region = \"AKIAIOSFODNN7EXAMPLE\"\nhttps_proxy = \"socks5://ops:pr0xyPw@10.0.0.1:1080\"\n",
        );
        let all = report.join("\n");
        assert!(
            !all.contains("AKIAIOSFODNN7EXAMPLE") && !all.contains("pr0xyPw"),
            "{all}"
        );
        assert!(said(&report, "todo: aws_region: `****"), "{all}");
    }

    #[test]
    fn route_settings_without_enable_route_are_not_carried() {
        let (site, report, ok) = run("route_name = \"ci.example.com\"\nroute_zone_id = \"Z1\"\n");
        assert!(ok && !site.contains("dns {"));
        assert!(said(
            &report,
            "not carried: route_name: enable_route is not set"
        ));
        assert!(said(&report, "not carried: route_zone_id:"));
    }

    #[test]
    fn a_relative_route_name_leaves_the_zone_to_write() {
        let (site, report, ok) = run("enable_route = 1\nroute_name = \"circleci\"\n");
        assert!(ok);
        assert!(
            site.contains("#   zone = \"ZONE-NAME\"") && site.contains("#   name = \"circleci\"")
        );
        assert!(said(&report, "todo: route_zone_id: empty or not a zone id"));
    }

    #[test]
    fn govcloud() {
        let (site, report, ok) =
            run("enable_govcloud = \"true\"\naws_region = \"us-gov-west-1\"\n");
        assert!(ok, "{site}");
        assert!(said(&report, "carried: enable_govcloud: the ARN partition"));
        let (site, report, ok) = run("enable_govcloud = true\naws_region = \"...\"\n");
        assert!(ok && site.contains("region  = \"us-gov-west-1\""), "{site}");
        assert!(said(&report, "todo: enable_govcloud:"));
        let (_, report, _) = run("enable_govcloud = true\naws_region = \"us-east-2\"\n");
        assert!(said(
            &report,
            "not carried: enable_govcloud: true, but the region"
        ));
    }

    #[test]
    fn what_check_refuses_is_reported() {
        let (site, report, ok) = run("services_instance_type = \"m3.2xlarge\"\n");
        assert!(!ok && site.contains("\"m3.2xlarge\""));
        assert!(said(
            &report,
            "todo: services_instance_type: services { instance }; `m3.2xlarge` is not"
        ));
        assert!(report
            .iter()
            .any(|l| l.contains("`cci-dsl check` reports E0207")));
        let (_, report, ok) = run("services_instance_type = \"m4.xlarge\"\n");
        assert!(
            !ok && report.iter().any(|l| l.contains("reports E0405")),
            "{report:?}"
        );
    }

    #[test]
    fn teardown_on_one_count_only_is_not_disposable() {
        let (site, report, ok) = run("force_destroy_s3_bucket = \"true\"\n");
        assert!(ok && !site.contains("disposable"));
        assert!(said(
            &report,
            "not carried: force_destroy_s3_bucket: true: the bucket is kept"
        ));
        let (site, report, _) =
            run("services_disable_api_termination = false\ndestroy_s3_bucket = 1\n");
        assert!(site.contains("disposable         = true"), "{site}");
        assert!(said(&report, "carried: destroy_s3_bucket: true"));
        assert!(report
            .iter()
            .any(|l| l.contains("also deletes the services box's root volume")));
    }

    #[test]
    fn odd_values_are_reported_and_read_as_unset() {
        let (site, report, ok) = run(
            "aws_region = var.region\naws_vpc_id = [\"vpc-0a1b2c3d\"]\nenable_nomad = \"maybe\"\naws_ssh_key_name = \"ops \\\"main\\\"\"\nprefix = \"123\"\n",
        );
        assert!(ok, "{site}");
        assert!(said(
            &report,
            "not carried: aws_region: not a literal value"
        ));
        assert!(said(&report, "not carried: aws_vpc_id: expected a string"));
        assert!(said(&report, "not carried: enable_nomad: not true/false"));
        assert!(site.contains("ssh_key = \"ops \\\"main\\\"\""), "{site}");
        assert!(site.contains("site \"circleci\""));
        assert!(said(
            &report,
            "todo: prefix: `123` leaves no valid site name"
        ));
    }

    #[test]
    fn the_ubuntu_table_gives_the_regions_image() {
        let (site, report, ok) = run(
            "aws_region = \"eu-west-1\"\nubuntu_ami = { eu-west-1 = \"ami-00cc9e3eecbef4b46\", eu-north-1 = \"ami-0f9351b59be17920e\" }\n",
        );
        assert!(
            ok && site.matches("ami-00cc9e3eecbef4b46").count() == 2,
            "{site}"
        );
        assert!(said(&report, "carried: ubuntu_ami:"));
    }

    #[test]
    fn legacy_builders_and_a_nomad_switched_off() {
        let (_, report, ok) = run("desired_builders_count = \"2\"\nenable_nomad = 0\n");
        assert!(ok);
        assert!(report
            .iter()
            .any(|l| l.contains("this install runs 2 1.0 builder(s)")));
        assert!(said(&report, "not carried: enable_nomad: off"));
    }

    #[test]
    fn a_block_is_not_a_tfvars_file() {
        let e = import("variable \"x\" {\n  default = 1\n}\n", "t").unwrap_err();
        assert!(e.message.contains("variables.tf"), "{e}");
        assert_eq!(e.line, Some(1));
    }

    #[test]
    fn unknown_variables_are_reported_without_their_values() {
        let i = import("datadog_api_key = \"s3cr3t-value\"\n", "t").unwrap();
        assert!(!i.site_text.contains("s3cr3t"));
        let report: Vec<String> = i.report.iter().map(|n| n.to_string()).collect();
        assert!(report
            .iter()
            .any(|l| l.starts_with("not carried: datadog_api_key:")));
        assert!(!report.iter().any(|l| l.contains("s3cr3t")));
    }
}
