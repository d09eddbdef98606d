//! `linkage-protocol`: the wire types and the pure workflow rules of Linkage, shared by the phone core and the
//! sync server so that an operation accepted offline on a phone is judged by exactly the same code on the
//! server (DESIGN §1, §8). Nothing here does I/O.

pub mod digest;
pub mod forms;
pub mod hlc;
pub mod labels;
pub mod model;
pub mod rules;
pub mod sync;
pub mod validate;
pub mod wire;

pub use model::*;
