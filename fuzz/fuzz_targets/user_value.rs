//! Fuzz target: `ptool::testing::fuzz::user_value` must never panic, whatever the bytes.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ptool::testing::fuzz::user_value(data));
