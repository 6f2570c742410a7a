//! Tests of the parent module, kept apart to keep it short.

use super::*;

#[test]
fn human_sizes_print_like_flink() {
    assert_eq!(human(0), "0 bytes");
    assert_eq!(human(1024), "1024 bytes");
    assert_eq!(human(1536), "1.500kb (1536 bytes)");
    assert_eq!(human(MIB), "1024.000kb (1048576 bytes)");
    assert_eq!(human(63753421), "60.800mb (63753421 bytes)");
    assert_eq!(human(GIB), "1024.000mb (1073741824 bytes)");
    assert_eq!(human(1114112), "1.063mb (1114112 bytes)");
    assert_eq!(
        human(UNLIMITED),
        "8388608.000tb (9223372036854775807 bytes)"
    );
}

#[test]
fn doubles_print_like_java() {
    assert_eq!(java_double(fraction(0.1)), "0.10000000149011612");
    assert_eq!(java_double(1.0), "1.0");
    assert_eq!(java_double(fraction(1e99_f64 as f32)), "Infinity");
    assert_eq!(java_double(f64::NAN), "NaN");
    assert_eq!(java_double(1e-4), "1.0E-4");
}

#[test]
fn multiplies_like_bigdecimal() {
    // Java: new MemorySize(1728m).multiply((double) 0.1f) etc.
    assert_eq!(mul(1728 * MIB, fraction(0.1)), Ok(181193935));
    assert_eq!(mul(1728 * MIB, fraction(0.4)), Ok(724775742));
    assert_eq!(mul(1728 * MIB, fraction(0.7)), Ok(1268357507));
    assert_eq!(mul(1728 * MIB, fraction(0.15)), Ok(271790910));
    assert_eq!(fraction(0.3) / (1.0 - fraction(0.3)), 0.42857145289985543);
}

#[test]
fn default_sizes_match_flink_docs() {
    let tm = task_manager(&TaskManagerOptions {
        jvm: JvmOptions {
            process: Some(1728 * MIB),
            ..Default::default()
        },
        ..Default::default()
    })
    .unwrap();
    assert_eq!(tm.jvm_flags(), "-Xmx536870902 -Xms536870902 -XX:MaxDirectMemorySize=268435458 -XX:MaxMetaspaceSize=268435456");
    let jm = job_manager(&JobManagerOptions {
        jvm: JvmOptions {
            process: Some(1600 * MIB),
            ..Default::default()
        },
        ..Default::default()
    })
    .unwrap();
    assert_eq!(jm.heap, GIB);
}
