//! lfg-store
