//! The two drivers of a [`World`](crate::world): `sim` (mock mode: an event queue in virtual
//! time, network and process models, one seeded RNG) and `live` (tokio, the wire, the real
//! clock, agents as processes through a [`backend`](crate::backend)). Each implements the
//! world's effects; neither imports the other.

pub mod live;
pub mod sim;
