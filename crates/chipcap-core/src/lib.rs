//! chipcap-core: the export controls on advanced AI chips and model weights of the Framework for
//! Artificial Intelligence Diffusion (90 FR 4544) as pure code.
//!
//! Pure: no IO, no clock, no environment, no floats. A determination is a function of
//! (request, rule set); the decision date is an input.

pub mod advanced;
pub mod classify;
pub mod compare;
pub mod country;
pub mod date;
pub mod determination;
pub mod determine;
pub mod params;
pub mod recorded;
pub mod request;
pub mod rules_view;
pub mod units;
pub mod wire;

pub use determine::{determine, DetermineError};
