//! How the site is run: torn down or kept (`disposable`), named in DNS, reached through a proxy.

use crate::read::{is_placeholder, Importer};
use crate::write::{shown, Field, ProxyRule, Site};
use crate::NoteKind;
use cci_core::parse::OPEN_DECISION;
use cci_core::shapes::{
    no_proxy_entry, proxy_url_problem, url_host_port as host_port, valid_dns_name,
};
use std::net::Ipv4Addr;

/// What the language takes as a proxy URL (resolve's rule), or why not.
pub(crate) fn check_proxy_url(url: &str) -> Result<(), &'static str> {
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

/// `disposable = true` only when the tfvars ask for teardown on both counts enterprise-setup
/// had: no termination protection, and a bucket destroyed with its objects.
pub(crate) fn teardown(im: &mut Importer, site: &mut Site) {
    let protection = im.flag("services_disable_api_termination", true);
    let bucket_key = if im.set("force_destroy_s3_bucket") || !im.set("destroy_s3_bucket") {
        "force_destroy_s3_bucket"
    } else {
        "destroy_s3_bucket" // its name for a week of December 2017
    };
    let force_destroy = im.flag(bucket_key, false);
    let delete_volume = im.flag("services_delete_on_termination", false);
    if !protection && force_destroy {
        site.disposable = Some(Field::new(
            "true",
            "services_disable_api_termination = false and force_destroy_s3_bucket = true",
        ));
        disposable_notes(im, bucket_key, delete_volume);
    } else {
        kept_notes(im, bucket_key, (protection, force_destroy, delete_volume));
    }
}

/// A disposable site: what each setting became.
fn disposable_notes(im: &mut Importer, bucket_key: &str, delete_volume: bool) {
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
    if im.set("services_delete_on_termination") {
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
}

/// A site that keeps its data: each setting that asked for less is not carried, and why.
fn kept_notes(
    im: &mut Importer,
    bucket_key: &str,
    (protection, force_destroy, delete_volume): (bool, bool, bool),
) {
    let why = "cci-dsl gives that up only with `disposable = true`, which also turns off termination protection and force-destroys the bucket; write it if the site is meant to be torn down";
    // (variable, whether it keeps the data, the note if it does, the one if it does not)
    let settings = [
        (
            "services_disable_api_termination",
            protection,
            "true: the services box has termination protection (every site has)",
            "false: termination protection stays on",
        ),
        (
            bucket_key,
            !force_destroy,
            "false: destroy stops at a bucket that holds objects (every site's does)",
            "true: the bucket is kept while it holds objects",
        ),
        (
            "services_delete_on_termination",
            !delete_volume,
            "false: the services box's root volume is kept when the box goes (every site's is)",
            "true: the services box's root volume is kept when the box goes",
        ),
    ];
    for (key, keeps, kept, given_up) in settings {
        if !im.set(key) {
            continue;
        }
        if keeps {
            im.note(NoteKind::Carried, key, kept);
        } else {
            im.note(NoteKind::NotCarried, key, format!("{given_up}; {why}"));
        }
    }
}

/// enterprise-setup's Route53 record took a zone id; the language takes the zone's name.
pub(crate) fn route(im: &mut Importer, site: &mut Site) {
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
            "{OPEN_DECISION}: enterprise-setup made a Route53 record (enable_route) in the zone {};",
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

/// `proxy { http https no_proxy }`, and a rule of the site's own when the proxy listens on a
/// port the services box may not reach by the guide's rules.
pub(crate) fn proxy(im: &mut Importer, site: &mut Site) {
    for key in ["http_proxy", "https_proxy"] {
        let Some(url) = im.text(key).map(|u| u.trim().to_string()) else {
            continue;
        };
        if url.is_empty() {
            im.note(NoteKind::Carried, key, "empty: no proxy");
            continue;
        }
        match check_proxy_url(&url) {
            Ok(()) => proxy_url(im, site, key, url),
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
    no_proxy(im, site);
}

/// A proxy URL the site takes: `http` or `https`, and the rule its port needs.
fn proxy_url(im: &mut Importer, site: &mut Site, key: &str, url: String) {
    let attr = if key == "http_proxy" { "http" } else { "https" };
    im.note(NoteKind::Carried, key, format!("proxy {{ {attr} }}"));
    // The services box reaches the internet on 80 and 443 only; a proxy elsewhere needs a rule
    // of the site's own (E0430).
    let rule =
        host_port(&url)
            .filter(|(_, p)| ![80, 443].contains(p))
            .map(|(host, port)| match host.parse::<Ipv4Addr>() {
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
            });
    if key == "http_proxy" {
        site.proxy_http = Some(url);
    } else {
        site.proxy_https = Some(url);
    }
    let Some(rule) = rule else {
        return;
    };
    if site
        .proxy_rules
        .iter()
        .any(|r| r.port == rule.port && r.to == rule.to)
    {
        return;
    }
    if rule.todo {
        im.note(
            NoteKind::Todo,
            key,
            format!("the proxy listens on {}, which the services box may not reach by the guide's rules: the site opens it to any address, as enterprise-setup did (TODO: narrow it to the proxy's address)", rule.port),
        );
    }
    site.proxy_rules.push(rule);
}

/// `no_proxy`, split on commas; what the language does not take is left out, said.
fn no_proxy(im: &mut Importer, site: &mut Site) {
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
