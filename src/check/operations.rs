//! How the site is run and torn down, beyond its first apply: a disposable site (guide ch. 3,
//! "Why doesn't terraform destroy every resource?"), DNS, backups, proxies, subnets.

use super::*;

/// `disposable = true` gives up what keeps the site's data through `terraform destroy`; a
/// reviewer should see that every time.
pub(super) fn check_disposable(site: &Site, diags: &mut Diagnostics) {
    let Some(span) = site.disposable else {
        return;
    };
    diags.push(
        Diagnostic::error(Code::W0429, span, "this site is disposable: `terraform destroy` deletes its data")
            .label("no termination protection; the services volume and the bucket go with the site")
            .help("right for a trial or test site; for a site people use, remove `disposable = true` (the `teardown` output says what destroy then leaves)"),
    );
}
