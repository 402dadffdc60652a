//! Valid sites generated from the fuzzer's bytes (tests/support/site_gen.rs): every one
//! builds, and its outputs agree with each other (tests/support/agreement.rs).
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

#[path = "../../tests/support/site_gen.rs"]
mod site_gen;
#[path = "../../tests/support/agreement.rs"]
mod agreement;

struct Bytes<'a>(arbitrary::Unstructured<'a>);

impl site_gen::Choose for Bytes<'_> {
    fn below(&mut self, n: usize) -> usize {
        self.0.choose_index(n).unwrap_or(0)
    }
}

fuzz_target!(|data: &[u8]| {
    static STDLIB: OnceLock<Vec<(String, String)>> = OnceLock::new();
    let lib = STDLIB.get_or_init(cci_core::stdlib::embedded);
    let text = site_gen::site(&mut Bytes(arbitrary::Unstructured::new(data)));
    let b = cci_core::build("generated.cci", &text, lib);
    let outputs = b.outputs.unwrap_or_else(|| {
        panic!(
            "a generated site does not build:\n{text}\n{}",
            cci_core::diagnostics::render(
                &b.compilation.diagnostics,
                &b.compilation.sources,
                cci_core::diagnostics::Style::Plain
            )
        )
    });
    if let Err(e) = agreement::check(&outputs.files) {
        panic!("{e}\n{text}");
    }
});
