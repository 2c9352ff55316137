//! Faults injected by a test body at run time: what `Swarm::inject` accepts and returns.

use swarm_test_spec::{FaultSpec, SpecError};

/// Something [`Swarm::inject`](crate::Swarm::inject) accepts as a fault: a [`FaultSpec`], or
/// its text (`"crash(hub) @ 2s"`), parsed with [`FaultSpec::parse`], the parser of the
/// `inject` attribute, so the same text means the same fault in both places.
///
/// ```
/// use swarm_test::{FaultSpec, IntoFaultSpec};
///
/// let from_text = "crash(2) @ 1s".into_fault_spec().unwrap();
/// assert_eq!(from_text, FaultSpec::parse("crash(2) @ 1s").unwrap());
/// assert!("crash(".into_fault_spec().is_err());
/// ```
pub trait IntoFaultSpec {
    /// The fault as the user wrote it, for error messages.
    fn text(&self) -> String;

    /// The fault, or why the text is not one.
    fn into_fault_spec(self) -> Result<FaultSpec, SpecError>;
}

impl IntoFaultSpec for FaultSpec {
    fn text(&self) -> String {
        self.text.clone()
    }

    fn into_fault_spec(self) -> Result<FaultSpec, SpecError> {
        Ok(self)
    }
}

impl IntoFaultSpec for &FaultSpec {
    fn text(&self) -> String {
        self.text.clone()
    }

    fn into_fault_spec(self) -> Result<FaultSpec, SpecError> {
        Ok(self.clone())
    }
}

impl IntoFaultSpec for &str {
    fn text(&self) -> String {
        (*self).to_owned()
    }

    fn into_fault_spec(self) -> Result<FaultSpec, SpecError> {
        FaultSpec::parse(self)
    }
}

impl IntoFaultSpec for String {
    fn text(&self) -> String {
        self.clone()
    }

    fn into_fault_spec(self) -> Result<FaultSpec, SpecError> {
        FaultSpec::parse(&self)
    }
}

/// A fault injected with [`Swarm::inject`](crate::Swarm::inject); pass it to
/// [`Swarm::heal`](crate::Swarm::heal) to end the fault.
///
/// Dropping the handle does not heal the fault: it stays in force until its `for DURATION`
/// ends, or to the end of the run. The fault's measurements are in `report.faults`, at
/// [`FaultHandle::index`].
///
/// ```
/// use swarm_test::prelude::*;
///
/// #[swarm_test(topology = "mesh", agents = 4, snapshot = false)]
/// async fn heal_it(swarm: &mut Swarm) -> Result<(), SwarmError> {
///     let hang: swarm_test::FaultHandle = swarm.inject("hang(1)").await?;
///     let index = hang.index();
///     swarm.heal(hang).await?;
///     assert!(swarm.report().faults[index].healed_at_ms.is_some());
///     Ok(())
/// }
/// ```
#[derive(Debug, PartialEq)]
#[must_use = "the fault stays in force until healed: pass the handle to `swarm.heal(handle)`, \
              or bind it (`let _crash = …`) to keep the fault for the rest of the run"]
pub struct FaultHandle {
    pub(crate) index: usize,
    pub(crate) spec: FaultSpec,
}

impl FaultHandle {
    /// The fault.
    pub fn spec(&self) -> &FaultSpec {
        &self.spec
    }

    /// Its position in `report.faults`: after the attribute's faults, in injection order.
    pub fn index(&self) -> usize {
        self.index
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_specs_convert_through_the_one_parser() {
        let spec = FaultSpec::parse("crash(hub) @ 2s").unwrap();
        assert_eq!("crash(hub) @ 2s".into_fault_spec(), Ok(spec.clone()));
        assert_eq!(
            String::from("crash( hub )@2000ms").into_fault_spec(),
            Ok(spec.clone())
        );
        assert_eq!((&spec).into_fault_spec(), Ok(spec.clone()));
        assert_eq!(spec.clone().into_fault_spec(), Ok(spec));
        let e = "cpu_spik".into_fault_spec().unwrap_err();
        assert!(e.to_string().contains("did you mean `cpu_spike`?"), "{e}");
    }
}
