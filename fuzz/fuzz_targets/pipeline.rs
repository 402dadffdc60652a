//! Any text through the whole pipeline against the embedded stdlib: no panic, no hang, and
//! every diagnostic rendered.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fuzz_target!(|data: &[u8]| {
    static STDLIB: OnceLock<Vec<(String, String)>> = OnceLock::new();
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let lib = STDLIB.get_or_init(cci_core::stdlib::embedded);
    let b = cci_core::build("fuzz.cci", text, lib);
    let c = &b.compilation;
    cci_core::diagnostics::render(&c.diagnostics, &c.sources, cci_core::diagnostics::Style::Plain);
    cci_core::diagnostics::render_json(&c.diagnostics, &c.sources);
    assert!(c.diagnostics.iter().all(|d| d.help.is_some()), "a diagnostic without help");
});
