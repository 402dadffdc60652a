//! Any bytes through the parser and both diagnostic renderers: no panic, no hang.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut sources = cci_core::span::Sources::default();
    let id = sources.add("fuzz.cci", text);
    let (_, diags) = cci_core::parse::parse_file(text, id);
    cci_core::diagnostics::render(&diags, &sources, cci_core::diagnostics::Style::Plain);
    cci_core::diagnostics::render_json(&diags, &sources);
});
