//! Stage 3, derive: what follows from a validated job without any further choice. Pure
//! functions of the model, shared by validate (which writes some of it into Flink options) and
//! plan (which writes it into manifests), so the two stages can never disagree.

pub mod command;
pub mod ha_upgrade;
pub mod local_state;
pub mod metrics;
pub mod options;
pub mod quantity;
pub mod submit;
pub mod wiring;
