//! `#if` evaluation: -D defines, in-file and included #defines, the C expression subset.

mod common;

use common::{parse_with, render};

fn names(text: &str, defines: &[&str]) -> Vec<String> {
    let parsed = parse_with("test.h", text, defines).unwrap_or_else(|e| panic!("{}", render(&e)));
    parsed.syscalls.into_iter().map(|s| s.name).collect()
}

const CONDITIONAL: &str = r#"
#ifdef A
__syscall int a(void);
#elif defined(B) && B > 2
__syscall int b(void);
#elifdef C
__syscall int c(void);
#else
__syscall int other(void);
#endif
"#;

#[test]
fn branches_follow_the_given_defines() {
    assert_eq!(names(CONDITIONAL, &["A"]), ["a"]);
    assert_eq!(names(CONDITIONAL, &["B=3"]), ["b"]);
    assert_eq!(names(CONDITIONAL, &["B=2"]), ["other"]);
    assert_eq!(names(CONDITIONAL, &["B=2", "C"]), ["c"]);
    assert_eq!(names(CONDITIONAL, &[]), ["other"]);
}

#[test]
fn in_file_defines_undefs_and_nesting() {
    let text = r#"
#define LEVEL (1 << 3) | 0x4
#define ALIAS LEVEL
#if ALIAS == 12 && !defined UNSET
#  if 0
__syscall int dead(void);
#  else
__syscall int nested(void);
#  endif
#endif
#undef LEVEL
#if LEVEL
__syscall int undefined_is_zero(void);
#endif
#if (10 / 3 == 3) && (-1 < 0) && (7 % 4 == 3) && (2 ? 1 : 0) && 'a' == 97 && 0x10 == 020 && 10UL >= 10
__syscall int arithmetic(void);
#endif
"#;
    assert_eq!(names(text, &[]), ["nested", "arithmetic"]);
}

#[test]
fn included_headers_supply_configuration() {
    let text = "#include <rtos/config.h>\n#if CONFIG_MSGQ\n__syscall int with_msgq(void);\n#endif\n#include <stdint.h>\n";
    assert_eq!(names(text, &[]), ["with_msgq"]);
}

#[test]
fn conditional_errors_name_their_place() {
    let cases = [
        ("#if 1\n__syscall int a(void);\n", "missing `#endif`", 1),
        ("#endif\n", "without `#if`", 1),
        ("#if 1\n#else\n#elif 1\n#endif\n", "after `#else`", 3),
        ("#if 1 +\n#endif\n", "ends early", 1),
        ("#if 1 / 0\n#endif\n", "division by zero", 1),
        ("#define F(x) x\n#if F(1)\n#endif\n", "function-like macro", 2),
        ("#if defined(\n#endif\n", "macro name", 1),
        ("#if 1 2\n#endif\n", "unexpected `2`", 1),
        ("#ifdef\n#endif\n", "macro name", 1),
        ("#define A 1\n#if A\n#error \"unsupported configuration\"\n#endif\n", "`#error`", 3),
    ];
    for (text, fragment, line) in cases {
        let errors = parse_with("test.h", text, &[]).unwrap_err();
        assert!(errors[0].message.contains(fragment), "{text:?}: {}", errors[0].message);
        assert_eq!(errors[0].line, line, "{text:?}");
    }
}

#[test]
fn inactive_regions_may_hold_anything() {
    let text = "#if 0\n#error never\n__syscall int k(int a[]);\n#bogus\n#endif\n__syscall int live(void);\n";
    assert_eq!(names(text, &[]), ["live"]);
}

#[test]
fn bad_defines_are_refused() {
    let dirs = Vec::new();
    assert!(syscall_gen::preprocess::Preprocessor::new(&dirs, &["1BAD".into()]).is_err());
    assert!(syscall_gen::preprocess::Preprocessor::new(&dirs, &["OK=\"open".into()]).is_err());
}
