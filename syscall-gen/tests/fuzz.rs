//! Mutation test: random byte edits of real headers never make the reader panic; every
//! failure is a diagnostic inside the file.

mod common;

use std::path::Path;

use syscall_gen::c_parse;
use syscall_gen::preprocess::Preprocessor;
use syscall_gen::source::SourceFile;
use syscall_gen::Error;

/// xorshift64*: deterministic, so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Bytes that matter to the grammar, so mutations reach deep paths, plus arbitrary bytes.
const INTERESTING: &[u8] = b"()[]{};,*#/\\\"'\n.&|!<>=?:-+~ 0x9_aZ\xff\xc3";

fn mutate(rng: &mut Rng, base: &[u8]) -> Vec<u8> {
    let mut bytes = base.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(bytes.len() + 1);
        let byte =
            if rng.below(2) == 0 { INTERESTING[rng.below(INTERESTING.len())] } else { rng.next() as u8 };
        match rng.below(3) {
            0 => bytes.insert(at, byte),
            1 if at < bytes.len() => {
                bytes.remove(at);
            }
            _ if at < bytes.len() => bytes[at] = byte,
            _ => bytes.push(byte),
        }
    }
    bytes
}

#[test]
fn mutated_headers_never_panic() {
    let include = common::fixtures().join("include");
    let dirs = vec![include.clone()];
    let defines = vec!["CONFIG_FROM_COMMAND_LINE".to_string()];
    let mut rng = Rng(0x5eed_cafe_f00d_d00d);
    let (mut accepted, mut refused) = (0, 0);
    for file in ["rtos/kernel.h", "drivers/uart.h"] {
        let path = include.join(file);
        let base = std::fs::read(&path).unwrap();
        for _ in 0..3000 {
            let bytes = mutate(&mut rng, &base);
            let text = String::from_utf8_lossy(&bytes).into_owned();
            let source = SourceFile::new(Path::new(&path), text.clone());
            let mut pp = Preprocessor::new(&dirs, &defines).unwrap();
            let result = match pp.run_source(source) {
                Ok(input) => c_parse::parse(&input).map(|_| ()),
                Err(Error::Source(e)) => Err(e),
                Err(e) => panic!("non-source error: {e}"),
            };
            match result {
                Ok(()) => accepted += 1,
                Err(errors) => {
                    refused += 1;
                    for e in errors {
                        assert!(e.line >= 1 && e.line <= text.lines().count().max(1) + 1, "{e:?}");
                        assert!(!e.rendered.is_empty());
                    }
                }
            }
        }
    }
    // Both outcomes must occur, or the mutations test nothing.
    assert!(accepted > 100 && refused > 100, "accepted {accepted}, refused {refused}");
}

#[test]
fn mutated_rust_inputs_never_panic() {
    let path = common::fixtures().join("rust/calls.rs");
    let base = std::fs::read(&path).unwrap();
    let mut rng = Rng(0x0bad_5eed_1234_5678);
    let (mut accepted, mut refused) = (0, 0);
    for _ in 0..1500 {
        let text = String::from_utf8_lossy(&mutate(&mut rng, &base)).into_owned();
        match syscall_gen::rust_input::parse(&SourceFile::new(&path, text)) {
            Ok(_) => accepted += 1,
            Err(Error::Source(errors)) => {
                refused += 1;
                assert!(errors.iter().all(|e| e.line >= 1 && !e.rendered.is_empty()));
            }
            Err(e) => panic!("non-source error: {e}"),
        }
    }
    assert!(accepted > 50 && refused > 50, "accepted {accepted}, refused {refused}");
}
