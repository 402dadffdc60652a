//! `explain`'s examples: for a code, the lines of a site that produce it and the same lines
//! fixed. They are not written twice: each is read from the code's fixture under
//! tests/fixtures/ (the one the diagnostics snapshots show), compared with the site every
//! fixture starts from, tests/fixtures/base.site. The test suite (tests/suite/reports.rs)
//! checks each: the wrong lines in the base produce the code, the base does not.

/// The site every example changes: clean, no diagnostic.
pub const BASE: &str = include_str!("../../tests/fixtures/base.site");

macro_rules! example {
    ($code:literal, $fixture:literal) => {
        (
            $code,
            concat!("tests/fixtures/", $fixture),
            include_str!(concat!("../../tests/fixtures/", $fixture)),
        )
    };
}

/// Code, fixture, and the fixture's text; codes without a fixture that is the base with one
/// change (those that need an edited stdlib, a certificate file, or a generated site, and
/// a few whose fixture changes several places) have no example.
const EXAMPLES: &[(&str, &str, &str)] = &[
    example!("E0101", "parse/colon-instead-of-equals.cci"),
    example!("E0102", "parse/unterminated-string.cci"),
    example!("E0103", "parse/unclosed-block.cci"),
    example!("E0104", "parse/bad-cidr.cci"),
    example!("E0105", "parse/unknown-protocol.cci"),
    example!("E0106", "parse/nesting-too-deep.cci"),
    example!("E0108", "check/open-decisions.cci"),
    example!("E0201", "resolve/unknown-block.cci"),
    example!("E0202", "resolve/unknown-attribute.cci"),
    example!("E0203", "resolve/duplicate-attribute.cci"),
    example!("E0204", "resolve/duplicate-fleet.cci"),
    example!("E0205", "resolve/missing-attribute.cci"),
    example!("E0206", "resolve/unknown-endpoint.cci"),
    example!("E0207", "resolve/unknown-instance-type.cci"),
    example!("E0208", "resolve/missing-services.cci"),
    example!("E0209", "resolve/unknown-library.cci"),
    example!("E0210", "resolve/unknown-external.cci"),
    example!("E0211", "resolve/unknown-function.cci"),
    example!("E0212", "resolve/unknown-condition.cci"),
    example!("E0213", "resolve/block-names.cci"),
    example!("E0215", "resolve/vms-without-vm-service.cci"),
    example!("E0216", "resolve/not-externalized.cci"),
    example!("E0217", "resolve/unknown-machine-role.cci"),
    example!("E0219", "resolve/unknown-github-kind.cci"),
    example!("E0301", "types/size-without-unit.cci"),
    example!("E0302", "types/port-out-of-range.cci"),
    example!("E0303", "types/count-backwards.cci"),
    example!("E0304", "types/bad-vpc-id.cci"),
    example!("E0305", "types/unknown-region.cci"),
    example!("E0306", "types/bad-url.cci"),
    example!("E0307", "types/passphrase-literal.cci"),
    example!("E0308", "types/cidr-host-bits.cci"),
    example!("E0310", "types/bad-site-name.cci"),
    example!("E0311", "types/all-with-ports.cci"),
    example!("E0312", "types/bad-bucket-name.cci"),
    example!("E0313", "types/component-as-actor.cci"),
    example!("E0314", "types/enterprise-arguments.cci"),
    example!("E0316", "types/passphrase-literal.cci"),
    example!("E0323", "types/state-without-backend.cci"),
    example!("E0401", "check/nomad-too-small.cci"),
    example!("E0402", "check/nomad-too-small.cci"),
    example!("E0403", "check/nomad-disk-in-gb.cci"),
    example!("E0404", "check/nomad-too-large.cci"),
    example!("E0409", "check/ghe-unbound.cci"),
    example!("E0410", "check/users-unbound.cci"),
    example!("E0412", "check/external-without-hosts.cci"),
    example!("E0413", "check/private-subnet-without-nat.cci"),
    example!("E0418", "check/nomad-servers-range.cci"),
    example!("E0441", "check/state-in-site-bucket.cci"),
    example!("W0220", "resolve/no-use-line.cci"),
    example!("W0411", "check/admins-open.cci"),
    example!("W0414", "check/private-subnet-without-nat.cci"),
    example!("W0415", "check/private-subnet-without-nat.cci"),
    example!("W0416", "check/nomad-too-small.cci"),
    example!("W0421", "check/unused-actor.cci"),
    example!("W0426", "check/fleet-far-too-large.cci"),
    example!("W0427", "check/users-open.cci"),
    example!("W0429", "check/disposable.cci"),
    example!("W0440", "check/admins-open.cci"),
];

/// The most lines an example shows on either side.
const MOST_LINES: usize = 5;

/// An example of `code`: its fixture's name, the lines as written wrong, the same lines fixed
/// (as in [`BASE`]).
pub fn example(code: &str) -> Option<(&'static str, String, String)> {
    let (_, fixture, text) = EXAMPLES.iter().find(|(c, _, _)| *c == code)?;
    // The fixture's first lines say what it shows; the site follows.
    let site: Vec<&str> = text.lines().skip_while(|l| l.starts_with('#')).collect();
    let base: Vec<&str> = BASE.lines().collect();
    let same = |a: &[&str], b: &[&str]| a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let mut head = same(&base, &site);
    let mut tail = same(
        &base[head..].iter().rev().copied().collect::<Vec<_>>(),
        &site[head..].iter().rev().copied().collect::<Vec<_>>(),
    );
    let blank = |lines: &[&str]| lines.iter().all(|l| l.trim().is_empty());
    let (mut fixed, mut wrong) = (
        &base[head..base.len() - tail],
        &site[head..site.len() - tail],
    );
    // A line added or removed is shown with the line before it (after it, at the start).
    while blank(fixed) || blank(wrong) {
        match (head, tail) {
            (0, 0) => return None,
            (0, _) => tail -= 1,
            _ => head -= 1,
        }
        fixed = &base[head..base.len() - tail];
        wrong = &site[head..site.len() - tail];
    }
    if fixed.len() > MOST_LINES || wrong.len() > MOST_LINES {
        return None;
    }
    Some((fixture, wrong.join("\n"), fixed.join("\n")))
}
