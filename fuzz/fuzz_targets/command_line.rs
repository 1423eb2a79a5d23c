//! Fuzz target: `ptool::testing::fuzz::command_line` must never panic, whatever the bytes.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ptool::testing::fuzz::command_line(data));
