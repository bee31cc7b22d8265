//! lfg-runner
