//! The E2B client against the stand-in (fixtures::e2b): the REST client's contract with every
//! error class, the envd client's streams under faults, secrets, leases and gc.

mod backend;
mod cleanup;
mod contract;
mod envd;
mod faults;
mod secrets;
mod subjects;
