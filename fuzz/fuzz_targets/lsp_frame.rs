//! Any bytes through the language server's framing: no panic, no hang, no allocation beyond
//! the limit, and every frame is a body or a refusal.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut frames = cci_ide::lsp_frame::FrameReader::new(data, 1 << 16);
    let mut n = 0;
    while let Ok(Some(frame)) = frames.next_frame() {
        if let cci_ide::lsp_frame::Frame::Body(body) = frame {
            assert!(body.len() <= 1 << 16);
        }
        n += 1;
        assert!(n <= data.len() + 1, "more frames than bytes");
    }
});
