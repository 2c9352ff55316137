//! Property tests: the parsers never panic, and normalised text parses back to the same value.

use proptest::prelude::*;
use swarm_test_spec::{
    format_duration, parse_duration, FaultKind, FaultSpec, Partition, Role, Roster, SpecBuilder,
    Target, Value, FAULT_NAMES, KEYS, MAX_DURATION_MS,
};

/// Strings that look a little like fault specs, so the parser gets past the first token.
fn spec_like() -> impl Strategy<Value = String> {
    let word = prop_oneof![
        proptest::sample::select(FAULT_NAMES.to_vec()).prop_map(str::to_owned),
        proptest::sample::select(vec![
            "hub", "leader", "all", "random", "role", "fraction", "isolate", "halves", "target",
            "restart", "for", "jitter", "loss",
        ])
        .prop_map(str::to_owned),
        "[a-z_]{1,8}",
        "-?[0-9]{1,4}(\\.[0-9]{1,3})?(ms|s|m|x)?",
        proptest::sample::select(vec!["(", ")", ",", "=", "@", ":", " ", "  "])
            .prop_map(str::to_owned),
    ];
    proptest::collection::vec(word, 0..12).prop_map(|parts| parts.join(""))
}

/// An error is a message a user can read: not empty, lowercase first (the project's style).
fn error_is_a_message(message: &str) -> Result<(), TestCaseError> {
    prop_assert!(!message.trim().is_empty(), "an empty error message");
    prop_assert!(
        !message.starts_with(char::is_uppercase),
        "error messages start lowercase: {message:?}"
    );
    Ok(())
}

fn target() -> impl Strategy<Value = Target> {
    prop_oneof![
        Just(Target::Hub),
        Just(Target::Leader),
        Just(Target::Coordinator),
        Just(Target::Random),
        Just(Target::All),
        (0usize..100).prop_map(Target::Index),
        proptest::sample::select(Role::ALL.to_vec()).prop_map(Target::Role),
        (1u32..=1000).prop_map(|n| Target::Fraction(f64::from(n) / 1000.0)),
    ]
}

fn unit() -> impl Strategy<Value = f64> {
    (0u32..=1000).prop_map(|n| f64::from(n) / 1000.0)
}

fn millis() -> impl Strategy<Value = u64> {
    prop_oneof![
        0u64..5_000,
        (0u64..100).prop_map(|s| s * 1_000),
        (0u64..10).prop_map(|m| m * 60_000)
    ]
}

fn kind() -> impl Strategy<Value = FaultKind> {
    prop_oneof![
        (unit(), target()).prop_map(|(load, target)| FaultKind::CpuSpike { load, target }),
        ((0u32..10_000).prop_map(f64::from), target()).prop_map(|(rate_mb_per_s, target)| {
            FaultKind::MemoryLeak {
                rate_mb_per_s,
                target,
            }
        }),
        (millis(), millis()).prop_map(|(delay_ms, jitter_ms)| FaultKind::Latency {
            delay_ms,
            jitter_ms
        }),
        unit().prop_map(|rate| FaultKind::PacketLoss { rate }),
        (millis(), millis(), unit()).prop_map(|(delay_ms, jitter_ms, loss)| {
            FaultKind::NetworkIssue {
                delay_ms,
                jitter_ms,
                loss,
            }
        }),
        Just(FaultKind::Partition {
            cut: Partition::Halves
        }),
        target().prop_map(|t| FaultKind::Partition {
            cut: Partition::Isolate(t)
        }),
        (target(), proptest::option::of(millis())).prop_map(|(target, restart_after_ms)| {
            FaultKind::Crash {
                target,
                restart_after_ms,
            }
        }),
        target().prop_map(|target| FaultKind::Hang { target }),
        (unit(), target()).prop_map(|(rate, target)| FaultKind::ErrorRate { rate, target }),
        unit().prop_map(|level| FaultKind::Volatility { level }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

    #[test]
    fn fault_parser_never_panics_on_any_string(text in any::<String>()) {
        if let Err(e) = FaultSpec::parse(&text) {
            error_is_a_message(&e.to_string())?;
        }
    }

    #[test]
    fn fault_parser_never_panics_on_near_misses(text in spec_like()) {
        match FaultSpec::parse(&text) {
            // Whatever parses has a normalised text that parses back to the same spec.
            Ok(spec) => prop_assert_eq!(FaultSpec::parse(&spec.text), Ok(spec.clone())),
            Err(e) => error_is_a_message(&e.to_string())?,
        }
    }

    #[test]
    fn other_parsers_never_panic(text in any::<String>()) {
        let _ = Roster::parse(&text);
        let _ = Target::parse(&text);
        let _ = parse_duration(&text);
        let _ = swarm_test_spec::TopologyKind::parse(&text);
    }

    #[test]
    fn builder_never_panics(
        pairs in proptest::collection::vec(
            (
                prop_oneof![proptest::sample::select(KEYS.to_vec()).prop_map(str::to_owned), any::<String>()],
                prop_oneof![
                    any::<String>().prop_map(Value::Str),
                    spec_like().prop_map(Value::Str),
                    any::<u64>().prop_map(Value::Int),
                    (0u64..12).prop_map(Value::Int),
                    any::<bool>().prop_map(Value::Bool),
                ],
            ),
            0..8,
        )
    ) {
        let mut builder = SpecBuilder::new("t", "m");
        for (key, value) in pairs {
            builder = builder.with(&key, value);
        }
        let _ = builder.build();
    }

    #[test]
    fn normalised_text_round_trips(kind in kind(), at in millis(), lasting in proptest::option::of(1u64..100_000)) {
        let spec = FaultSpec::new(kind).at(at).lasting(lasting);
        prop_assert_eq!(FaultSpec::parse(&spec.text), Ok(spec.clone()));
    }

    #[test]
    fn durations_round_trip(ms in 0..=MAX_DURATION_MS) {
        prop_assert_eq!(parse_duration(&format_duration(ms)), Ok(ms));
    }

    #[test]
    fn durations_above_the_maximum_are_errors(ms in MAX_DURATION_MS + 1..) {
        let e = parse_duration(&format_duration(ms)).unwrap_err();
        prop_assert!(e.to_string().contains("durations are at most `10080m`"), "{}", e);
    }
}
