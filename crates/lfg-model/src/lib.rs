//! lfg-model
