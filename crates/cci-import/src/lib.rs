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
//!
//! By job: [`read`] reads the tfvars and answers what a variable says, the `policies` decide what
//! becomes of each variable (the AWS settings, the machines, the site's operations), [`write`]
//! writes the site file.

mod policies;
mod read;
mod write;

use std::collections::HashSet;
use std::fmt;

use policies::{
    aws, credentials, legacy, machines, name, passphrase, proxy, route, site_notes, teardown,
    unknown,
};
use read::{read_tfvars, Importer};
use write::{render, shown, Site};

/// The guide's example; the tfvars have no such figure.
pub(crate) const DEFAULT_DAILY_ACTIVE_USERS: u64 = 40;

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
    let site_text = cci_core::format::format(&render(&site, source_name, &lib));
    // What `check` would still refuse (an instance type the catalog lacks, a services box too
    // small for the users) is said now, not discovered later.
    let c = cci_core::compile("site.cci", &site_text, &cci_core::stdlib::embedded());
    for d in c
        .diagnostics
        .iter()
        .filter(|d| d.code.severity() == cci_core::codes::Severity::Error)
        // Its own TODOs are already notes.
        .filter(|d| d.code != cci_core::codes::Code::E0108)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policies::check_proxy_url;
    use crate::policies::site_name;
    use crate::read::flag;
    use cci_core::shapes::url_host_port as host_port;
    use hcl::Value;

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

    /// The import, its report as lines, and whether its site checks: its only errors are its
    /// open decisions (E0108, one per TODO), and once each is decided as written (the comment
    /// deleted) it checks without errors.
    fn run(tfvars: &str) -> (String, Vec<String>, bool) {
        let i = import(tfvars, "t.tfvars").unwrap();
        let lib = cci_core::stdlib::embedded();
        let c = cci_core::compile("site.cci", &i.site_text, &lib);
        let open: Vec<_> = c.diagnostics.iter().filter(|d| d.is_error()).collect();
        let only_todos = open.iter().all(|d| d.code == cci_core::codes::Code::E0108)
            && open.len() == i.site_text.matches("# TODO(cci-dsl)").count();
        let decided: String = i
            .site_text
            .lines()
            .filter_map(|l| match l.find("# TODO(cci-dsl)") {
                Some(at) if l[..at].trim().is_empty() => None,
                Some(at) => Some(l[..at].trim_end()),
                None => Some(l),
            })
            .map(|l| format!("{l}\n"))
            .collect();
        let c = cci_core::compile("site.cci", &decided, &lib);
        let report = i.report.iter().map(|n| n.to_string()).collect();
        (i.site_text, report, only_todos && !c.has_errors())
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
        assert!(site.contains("# TODO(cci-dsl): any address"));
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
