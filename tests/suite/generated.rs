//! Valid sites generated from a seeded stream of choices (tests/support/site_gen.rs, the same
//! generator the `site` fuzz target drives): every one builds without errors, and each
//! build's outputs agree with each other (tests/support/agreement.rs). The examples too.

use crate::agreement;
use crate::site_gen::{site, Choose};

/// A small linear congruential generator: deterministic, so a failure names its seed.
pub(crate) struct Seeded(pub(crate) u64);

impl Choose for Seeded {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

#[test]
fn generated_sites_build_and_their_outputs_agree() {
    let lib = cci_core::stdlib::embedded();
    let mut permissions = 0;
    for seed in 0..300 {
        let text = site(&mut Seeded(seed));
        let b = cci_core::build("generated.cci", &text, &lib);
        let outputs = b.outputs.unwrap_or_else(|| {
            panic!(
                "seed {seed} does not build:\n{text}\n{}",
                crate::rendered(&b.compilation)
            )
        });
        permissions +=
            agreement::check(&outputs.files).unwrap_or_else(|e| panic!("seed {seed}: {e}\n{text}"));
    }
    assert!(
        permissions > 10_000,
        "only {permissions} permissions compared"
    );
}

#[test]
fn every_examples_outputs_agree() {
    for path in crate::examples() {
        let outputs = crate::build_file(&path).outputs.expect("builds");
        let n =
            agreement::check(&outputs.files).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(n > 20);
    }
}
