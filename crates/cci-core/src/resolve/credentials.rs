//! E0330: a value shaped like a credential (a key, a token, a PEM block, `user:password@`) in
//! the site. Every string of the site may land in an output — a rule's purpose becomes a
//! security-group description, a tag is copied onto every resource, `ssh_key` is written into
//! the Terraform —, so such a value is refused where it is written. The passphrase (E0307),
//! proxy URLs (E0319) and the GitHub Enterprise URL (E0306) have checks of their own.

use crate::ast::{self, Attr, Block, Entry, Item, Value};
use crate::codes::Code;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::secrets::is_credential_shaped;
use crate::span::{Span, Spanned};

/// Reports each string of the site that is shaped like a credential.
pub(super) fn refuse_credentials(file: &ast::File, diags: &mut Diagnostics) {
    for item in &file.items {
        match item {
            Item::Block(b) => block(b, diags),
            Item::Allow(r) => {
                string(&r.purpose.node, r.purpose.span, diags);
                r.attrs.iter().for_each(|a| attr(a, "allow", diags));
            }
            Item::Use(_) => {}
        }
    }
}

fn block(b: &Block, diags: &mut Diagnostics) {
    for l in &b.labels {
        string(&l.node, l.span, diags);
    }
    for e in &b.entries {
        match e {
            Entry::Attr(a) => attr(a, &b.kind.node, diags),
            Entry::Block(inner) => block(inner, diags),
            Entry::Allow(r) => string(&r.purpose.node, r.purpose.span, diags),
            Entry::Broken(_) => {}
        }
    }
}

fn attr(a: &Attr, block: &str, diags: &mut Diagnostics) {
    let own_check = a.key.node == "passphrase"
        || (block == "proxy" && matches!(a.key.node.as_str(), "http" | "https"));
    if !own_check {
        value(&a.value, diags);
    }
}

fn value(v: &Spanned<Value>, diags: &mut Diagnostics) {
    match &v.node {
        Value::Str(s) => string(s, v.span, diags),
        Value::List(items) => items.iter().for_each(|i| value(i, diags)),
        Value::Call { name, args } if name.node != "enterprise" => {
            args.iter().for_each(|a| value(a, diags))
        }
        _ => {}
    }
}

fn string(s: &str, span: Span, diags: &mut Diagnostics) {
    if is_credential_shaped(s) {
        diags.push(
            Diagnostic::new(Code::E0330, span, "a value that looks like a credential")
                .label("shaped like a key, a token or an address with a password (shown masked)")
                .help("keep credentials out of the site file: every value may reach an output (a security-group description, a tag, the Terraform); name the credential by where it lives instead"),
        );
    }
}
