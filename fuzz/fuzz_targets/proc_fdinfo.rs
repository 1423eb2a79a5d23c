//! Fuzz target: `ptool::fuzzing::proc_fdinfo` must never panic, whatever the bytes.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ptool::fuzzing::proc_fdinfo(data));
