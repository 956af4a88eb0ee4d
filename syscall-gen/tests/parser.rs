//! Every accepted and refused prototype form, and the kernel-object annotations.

mod common;

use common::{parse, parse_with, refuse};
use syscall_gen::model::{Builtin, KobjectKind, Specifier};

#[test]
fn fixture_header_parses_every_accepted_form() {
    let path = common::fixtures().join("include/rtos/kernel.h");
    let parsed = common::parse_file(&path, &["CONFIG_FROM_COMMAND_LINE"]).unwrap();
    let names: Vec<&str> = parsed.syscalls.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "k_sem_give",
            "k_sem_take",
            "k_sem_count_get",
            "k_yield",
            "k_uptime_ticks",
            "k_cycle_add",
            "k_object_alloc",
            "k_thread_name_copy",
            "k_thread_create",
            "k_poll_callback",
            "k_small",
            "k_str_table",
            "k_msgq_put",
            "k_elif_taken",
            "k_from_define",
        ]
    );
    let kinds: Vec<(&str, KobjectKind)> =
        parsed.kobjects.iter().map(|k| (k.struct_tag.as_str(), k.kind)).collect();
    assert_eq!(
        kinds,
        [
            ("k_thread", KobjectKind::Thread),
            ("k_thread_stack_element", KobjectKind::Stack),
            ("k_sem", KobjectKind::Object),
            ("k_mutex", KobjectKind::Object),
            ("k_msgq", KobjectKind::Object),
        ]
    );
}

fn spelled(text: &str) -> Vec<String> {
    let parsed = parse(text);
    let s = &parsed.syscalls[0];
    std::iter::once(s.ret.declare("")).chain(s.params.iter().map(|p| p.ty.declare(&p.name))).collect()
}

#[test]
fn comments_and_line_breaks_anywhere() {
    let text =
        "__syscall /* a */ int // b\n k_x /* c */ ( /* d */ int /* e */ a , // f\n\n long\n b ) /* g */ ;";
    assert_eq!(spelled(text), ["int", "int a", "long b"]);
}

#[test]
fn qualifiers_and_multi_level_pointers() {
    assert_eq!(
        spelled("__syscall const char *const *k_x(volatile int *const volatile p, const void **q, char *restrict r);"),
        ["const char * const *", "volatile int * const volatile p", "const void * *q", "char * restrict r"]
    );
}

#[test]
fn tagged_types_and_typedef_names() {
    let parsed = parse("__syscall enum e k_x(struct s *a, union u *b, k_timeout_t t, const size_t n);");
    let s = &parsed.syscalls[0];
    assert_eq!(s.ret.specifier, Specifier::Enum("e".into()));
    assert_eq!(s.params[0].ty.specifier, Specifier::Struct("s".into()));
    assert_eq!(s.params[1].ty.specifier, Specifier::Union("u".into()));
    assert_eq!(s.params[2].ty.specifier, Specifier::Typedef("k_timeout_t".into()));
    assert_eq!(s.params[3].ty.declare("n"), "const size_t n");
}

#[test]
fn keyword_arithmetic_types() {
    let cases = [
        ("unsigned long long", Builtin::UnsignedLongLong),
        ("long long int", Builtin::LongLong),
        ("long unsigned int", Builtin::UnsignedLong),
        ("unsigned", Builtin::UnsignedInt),
        ("signed", Builtin::Int),
        ("short unsigned", Builtin::UnsignedShort),
        ("signed char", Builtin::SignedChar),
        ("char", Builtin::Char),
        ("unsigned char", Builtin::UnsignedChar),
        ("long double", Builtin::LongDouble),
        ("double", Builtin::Double),
        ("_Bool", Builtin::Bool),
    ];
    for (words, builtin) in cases {
        let parsed = parse(&format!("__syscall {words} k_x({words} v);"));
        let s = &parsed.syscalls[0];
        assert_eq!(s.ret.specifier, Specifier::Builtin(builtin), "{words}");
        assert_eq!(s.params[0].ty.specifier, Specifier::Builtin(builtin), "{words}");
    }
}

#[test]
fn function_pointer_parameter_without_typedef() {
    assert_eq!(
        spelled("__syscall int k_x(void (*cb)(struct k_sem *sem, int (*inner)(void)), int (* const handler)(const char*, ...));"),
        ["int", "void (*cb)(struct k_sem *sem, int(*inner)(void))", "int (* const handler)(const char *, ...)"]
    );
}

#[test]
fn void_parameter_list_and_attributes() {
    let parsed =
        parse("__syscall __attribute__((deprecated)) int k_x(void) __attribute__((warn_unused_result));");
    assert!(parsed.syscalls[0].params.is_empty());
}

#[test]
fn origin_is_the_name_position() {
    let parsed = parse("\n\n  __syscall int\n    k_here(void);");
    let origin = &parsed.syscalls[0].origin;
    assert_eq!((origin.line, origin.column), (4, 5));
}

/// A refusal: message fragment, line, column, and the underlined source line.
fn check(text: &str, fragment: &str, line: usize, column: usize) {
    let e = refuse(text);
    assert!(e.message.contains(fragment), "`{}` does not contain `{fragment}`", e.message);
    assert_eq!((e.line, e.column), (line, column), "{}", e.rendered);
    assert!(e.rendered.contains(&format!("test.h:{line}:{column}")), "{}", e.rendered);
    let source_line = text.lines().nth(line - 1).unwrap();
    assert!(e.rendered.contains(source_line.trim()), "source line missing:\n{}", e.rendered);
    assert!(e.rendered.contains('^'), "no underline:\n{}", e.rendered);
}

#[test]
fn refuses_array_parameters_suggesting_a_pointer() {
    check("__syscall int k_x(int len,\n                   char buf[16]);", "array parameter `buf`", 2, 28);
    let e = refuse("__syscall int k_x(char buf[]);");
    assert!(e.help.unwrap().contains("pointer"));
}

#[test]
fn refuses_unnamed_parameters() {
    check("__syscall int k_x(struct k_sem *);", "unnamed parameter", 1, 19);
    check("__syscall int k_x(int a, k_timeout_t);", "unnamed parameter", 1, 26);
    check("__syscall int k_x(void (*)(int));", "unnamed parameter", 1, 19);
}

#[test]
fn refuses_variadics_and_va_list() {
    check("__syscall int k_x(const char *fmt, ...);", "variadic", 1, 36);
    check("__syscall int k_x(const char *fmt, va_list ap);", "`va_list`", 1, 36);
    check("__syscall int k_x(__builtin_va_list ap);", "`va_list`", 1, 19);
}

#[test]
fn refuses_a_syscall_declared_twice() {
    check("__syscall int k_x(void);\n__syscall int k_x(int a);", "declared twice", 2, 15);
    let e = refuse("__syscall int k_x(void);\n__syscall int k_x(int a);");
    assert!(e.help.unwrap().contains("test.h:1:15"));
}

#[test]
fn refuses_other_malformed_prototypes() {
    check("__syscall int k_x();", "unspecified parameter list", 1, 19);
    check("__syscall int k_x(void) { return 0; }", "has a body", 1, 25);
    check("__syscall static int k_x(void);", "`static` is not allowed", 1, 11);
    check("__syscall int k_x(void v);", "has type `void`", 1, 19);
    check("__syscall int k_x(struct s { int a; } *p);", "defined inside a prototype", 1, 28);
    check("__syscall long char k_x(void);", "not a valid type", 1, 11);
    check("__syscall int k_x(int cb(int));", "has function type", 1, 25);
    check("__syscall int k_x(_Atomic int a);", "not supported", 1, 19);
    check("__syscall int k_x(int sg_w);", "reserved", 1, 23);
    check("__syscall int k_x(int SG_NWORDS);", "reserved", 1, 23);
    check("__syscall int k_x(int a)", "expected `;`", 1, 25);
    check("__syscall int (k_x)(int a);", "name", 1, 15);
}

#[test]
fn all_refusals_of_a_header_are_reported() {
    let errors = parse_with(
        "test.h",
        "__syscall int a(int x[2]);\n__syscall int b(int);\n__syscall int ok(void);",
        &[],
    )
    .unwrap_err();
    assert_eq!(errors.len(), 2);
}

#[test]
fn kobject_annotations() {
    let parsed = parse(
        "__kobject(device, api) struct device { const void *api; };\n__kobject(driver_api)\nstruct uart_driver_api { int x; };",
    );
    assert_eq!(parsed.kobjects[0].kind, KobjectKind::Device);
    assert_eq!(parsed.kobjects[0].api_member.as_deref(), Some("api"));
    assert_eq!(parsed.kobjects[1].struct_tag, "uart_driver_api");
    assert_eq!((parsed.kobjects[1].origin.line, parsed.kobjects[1].origin.column), (3, 8));
}

#[test]
fn refuses_bad_kobject_annotations() {
    check("__kobject(semaphore) struct k_sem { int c; };", "unknown kernel-object kind", 1, 11);
    check("__kobject(device) struct device { int c; };", "needs the member", 1, 1);
    check("__kobject(object, api) struct k_sem { int c; };", "only `device`", 1, 19);
    check("__kobject(object) struct k_sem;", "definition", 1, 31);
    check("__kobject(object) union k_u { int c; };", "right before `struct`", 1, 19);
    check("__kobject(object) struct a { int c; };\n__kobject(thread) struct a { int c; };", "twice", 2, 26);
}

#[test]
fn lexer_errors_are_diagnostics() {
    check("/* never closed\n__syscall int k_x(void);", "unterminated comment", 1, 1);
    check("__syscall int k_x(void); @", "unexpected character", 1, 26);
    check("#define S \"open\n", "unterminated", 1, 11);
}

#[test]
fn nonblocking_follows_syscall_and_nowhere_else() {
    let parsed = parse("__syscall __nonblocking int k_give(int x);\n__syscall int k_take(int x);");
    let flags: Vec<(&str, bool)> = parsed.syscalls.iter().map(|s| (s.name.as_str(), s.nonblocking)).collect();
    assert_eq!(flags, [("k_give", true), ("k_take", false)]);
    for text in
        ["__syscall int __nonblocking k_give(int x);", "__syscall const __nonblocking int k_give(void);"]
    {
        let e = refuse(text);
        assert!(e.message.contains("`__nonblocking` is misplaced"), "{text}: {}", e.message);
        assert_eq!(e.help.as_deref(), Some("write it right after `__syscall`"));
    }
}
