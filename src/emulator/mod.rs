//! A faithful local emulator of the customizations API.

pub mod serve;
